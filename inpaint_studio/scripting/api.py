"""`inpaint()` and `Studio`: send a region of a song to a backend, wait, get the versions back.

The same path as `inpaint-studio submit --wait`: the request is checked, the job is saved in a
job store before anything is sent, and `backends.runs` drives it with the backend's client and
the one retry policy. The paid submit is never repeated: a job whose submit outcome is unknown
ends in `JobFailed` and stays in the store for the user to look at (`inpaint-studio jobs`).

Every version comes back on the song's timeline (aligned as the GUI aligns them), so it has the
song's rate, channels and length, and outside the region it plays what the song plays."""

from __future__ import annotations

import ast
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inpaint_studio.api.errors import ApiError
from inpaint_studio.api.models import Limits
from inpaint_studio.backends.backend import (
    DEFAULT_BASE_URL,
    LOCAL,
    MUSICGPT,
    PLAN_NAMES,
    Backends,
    BackendSettings,
    BackendUnavailable,
    validate,
)
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.jobs.lifecycle import JobEvent
from inpaint_studio.jobs.store import Job, JobStore, Stage
from inpaint_studio.scripting.segments import (
    InvalidInput,
    array_to_audio,
    audio_to_segment,
    is_segment,
    load_file,
    segment_to_audio,
    segment_to_flac,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydub import AudioSegment

MIN_REGION_S = 3.0  # the app warns below this; a script is stopped (see `min_region_s`)
Song = Any  # str | os.PathLike | numpy.ndarray | pydub.AudioSegment


class InpaintError(Exception):
    """Base of the errors `inpaint` raises after its input was accepted."""


class InpaintWarning(UserWarning):
    """Something that may give a poor result but does not stop the job (a long region...)."""


class JobFailed(InpaintError):
    """The job did not end with its versions. `job_id` names it in the job store; `stage` is
    where it stopped; `resumable` says whether `inpaint-studio resume JOB` can continue it
    (contact was lost while waiting: the server may still finish it)."""

    def __init__(self, message: str, *, job_id: str, stage: str, resumable: bool) -> None:
        super().__init__(message)
        self.job_id, self.stage, self.resumable = job_id, stage, resumable


@dataclass(eq=False)
class Version:
    """One returned version, on the song's timeline.

    `samples` (channels, frames) float32 and `sample_rate` are the audio; `segment` is the same
    as a pydub `AudioSegment` (made on first use, with the input segment's sample width, else
    16-bit); `path` is the file as the backend returned it (WAV or MP3, not aligned); `part_midi`
    is the part the local session player played, as a standard MIDI file (None when none was
    played: MusicGPT, or a prompt that names no instrument or style)."""

    index: int
    path: Path
    audio: Audio = field(repr=False)
    sample_width: int = 2
    part_midi: Path | None = None
    _segment: Any = field(default=None, repr=False)

    # the version's audio, as numpy (channel-planar), its rate and its length in seconds
    samples = property(lambda self: self.audio.samples)
    sample_rate = property(lambda self: self.audio.sample_rate)
    duration = property(lambda self: self.audio.duration)

    @property
    def segment(self) -> AudioSegment:
        if self._segment is None:
            self._segment = audio_to_segment(self.audio, self.sample_width)
        return self._segment

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this version (aligned) to `path`, its format from the suffix (.wav, .flac,
        .mp3, .ogg, .m4a), atomically, with the app's streamed encoder."""
        from inpaint_studio.core.encode import encode_audio

        return encode_audio(self.audio, Path(path).expanduser())


@dataclass(eq=False)
class InpaintResult:
    """What one job gave: its versions (`versions[0]` is version 1) and where it ran."""

    job_id: str
    backend: str
    start: float
    end: float
    versions: list[Version]
    note: str = ""  # e.g. a version that lines up poorly with the song

    @property
    def segments(self) -> list[AudioSegment]:
        return [v.segment for v in self.versions]

    @property
    def paths(self) -> list[Path]:
        return [v.path for v in self.versions]

    def __iter__(self) -> Iterator[Version]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def __getitem__(self, i: int) -> Version:
        return self.versions[i]


@dataclass
class _Song:
    """An accepted input: its audio, the file to upload (None: write one), how to name it."""

    audio: Audio
    upload: Path | None
    source: str
    stem: str
    sample_width: int  # of the returned segments: the input segment's, else 2
    flac_format: str = "s32"  # of the written upload: s16 where the input is 16-bit or less
    segment: Any = None  # the input AudioSegment: its raw samples are what is uploaded


class _GivenKey:
    """The key a script passed in, held for this process only (never stored, never shown)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def get(self) -> str:
        return self._key

    def has_key(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "_GivenKey(<hidden>)"


class Studio:
    """A backend to send jobs to, kept open for several jobs (the local server starts once).

    `backend`: "local" (the default: free, on this computer) or "musicgpt" (paid; the key from
    `api_key`, else $MUSICGPT_API_KEY or the key stored by the app). `store`: the job store
    file (default: the app's, so the jobs show in the app and `inpaint-studio jobs`).
    `local_engine`: the local server's engine ("quick": the fast test engine)."""

    def __init__(self, backend: str = LOCAL, *, api_key: str | None = None,
                 base_url: str | None = None, plan: str = "pro",
                 store: str | os.PathLike[str] | None = None,
                 local_engine: str | None = None) -> None:
        _refuse_in_bootstrapping_child()
        if backend not in (LOCAL, MUSICGPT):
            raise InvalidInput(f"backend must be {LOCAL!r} or {MUSICGPT!r}, not {backend!r}.")
        if plan not in PLAN_NAMES:
            raise InvalidInput(f"plan must be one of {', '.join(PLAN_NAMES)}, not {plan!r}.")
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
            raise InvalidInput("api_key is empty: pass the MusicGPT API key, or leave it out to "
                               "use $MUSICGPT_API_KEY or the key stored by the app.")
        if api_key is not None:
            keys: Any = _GivenKey(api_key.strip())
        else:
            from inpaint_studio.backends.keystore import KeyStore

            keys = KeyStore()
        if backend == MUSICGPT and not keys.get():
            raise InvalidInput("No MusicGPT API key: pass api_key=..., set MUSICGPT_API_KEY, "
                               "or store one in the app's Settings. Or use backend='local'.")
        base_url = base_url or os.environ.get("MUSICGPT_BASE_URL") or DEFAULT_BASE_URL
        self.backend = backend
        self._backends = Backends(BackendSettings(kind=backend, base_url=base_url, plan=plan),
                                  keys, server_engine=local_engine)
        self._store = JobStore(store)

    def __repr__(self) -> str:  # never the key
        return f"Studio(backend={self.backend!r})"

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the local server (if it was started) and close the job store."""
        self._backends.stop()
        self._store.close()

    # -- the job -------------------------------------------------------------------------------
    def inpaint(self, song: Song, start: float, end: float, prompt: str, *,
                lyrics: str | None = None, section_lyrics: str | None = None,
                gender: str | None = None, versions: int = 2, sample_rate: int | None = None,
                out_dir: str | os.PathLike[str] | None = None, title: str | None = None,
                min_region_s: float = MIN_REGION_S, cancel: CancelToken | None = None,
                progress: Callable[[str], None] | None = None) -> InpaintResult:
        """Replace `start`..`end` (seconds) of `song` as `prompt` describes; see `inpaint`."""
        if self.backend == LOCAL:
            _refuse_unguarded_script()
        start, end = _seconds("start", start), _seconds("end", end)
        accepted = _accept(song, sample_rate)
        fields = {"prompt": prompt, "lyrics": lyrics, "lyrics_section_to_replace": section_lyrics,
                  "gender": gender, "num_outputs": versions, "title": title}
        _check(fields, start, end, accepted.audio.duration, min_region_s)
        out = Path(out_dir).expanduser() if out_dir is not None else None
        with tempfile.TemporaryDirectory(prefix="inpaint-studio-upload-") as scratch:
            upload = accepted.upload
            if upload is None:
                upload = _write_upload(accepted, Path(scratch), cancel or NEVER)
            # What the backend would refuse is refused here, before anything is saved or sent
            # (the checks of `inpaint-studio submit` and the app's jobs, with the limits of the
            # server actually used); a song of more than two channels is sent as a down-mix.
            upload, reference = self._preflight(upload, accepted.audio, start, end,
                                                Path(scratch))
            temporary = accepted.upload is None or upload != accepted.upload
            params = {k: v for k, v in fields.items() if v not in (None, "")}
            job = self._store.create(
                backend=self.backend,
                base_url=self._backends.base_url() if self.backend == MUSICGPT else "local",
                source=accepted.source, upload_path=str(upload), start=start, end=end,
                params=params)
            try:
                job, aligned = self._run(job, reference, cancel or NEVER, progress)
            finally:
                if temporary:
                    self._drop_unsent(job.id)
        return self._result(job, aligned, accepted, out)

    def _preflight(self, upload: Path, audio: Audio, start: float, end: float,
                   scratch: Path) -> tuple[Path, Audio]:
        """(the file to send, the audio the versions are aligned to) — or `InvalidInput`, naming
        the backend, for what it would refuse; a down-mix is announced as an `InpaintWarning`."""
        from inpaint_studio.backends.preflight import downmix, preflight

        prepared = preflight(upload, self.backend, start, end, scratch,
                             self._backends.preflight_limits(self.backend))
        if not prepared.ok:
            raise InvalidInput(" ".join(prepared.problems) + " Nothing was sent.")
        for note in prepared.notes:
            warnings.warn(note, InpaintWarning, stacklevel=4)
        if audio.channels > 2 and Path(prepared.upload_path) != upload:
            audio = downmix(audio)  # the versions come back in stereo, aligned to what was sent
        return Path(prepared.upload_path), audio

    def _run(self, job: Job, reference: Audio, token: CancelToken,
             progress: Callable[[str], None] | None) -> tuple[Job, dict[int, Audio]]:
        from inpaint_studio import paths
        from inpaint_studio.backends.runs import run_to_end

        aligned: dict[int, Audio] = {}
        sink = _Progress(progress)

        def on_event(event: JobEvent) -> None:
            if event.kind == "version" and event.audio is not None:
                aligned[event.index] = event.audio
            sink(event)

        try:
            job = run_to_end(self._store, self._backends, job, paths.cache_dir(),
                             on_event=on_event, reference=lambda _job: reference, token=token)
        except (BackendUnavailable, ApiError) as exc:
            job = self._store.get(job.id)
            if job.stage is Stage.CREATED:
                raise JobFailed(f"Job {job.id[:8]} was not sent: {exc.user_message}",
                                job_id=job.id, stage=job.stage.value, resumable=False) from exc
            raise JobFailed(f"Job {job.id[:8]} stopped: {exc.user_message} It is kept: "
                            f"`inpaint-studio resume {job.id[:8]}` continues it.",
                            job_id=job.id, stage=job.stage.value, resumable=True) from exc
        return job, aligned

    def _drop_unsent(self, job_id: str) -> None:
        """A job that stopped before it was sent (cancelled, no contact) cannot be resumed once
        its temporary upload copy is gone: end it as failed, saying so, so that nothing (the app,
        `inpaint-studio resume`) tries to send it later. Sent jobs are left as they are."""
        from inpaint_studio.jobs.store import StaleTransition

        try:
            self._store.transition(job_id, [Stage.CREATED], Stage.FAILED, error_kind="NotSent",
                                   message="Stopped before it was sent; its song was a "
                                           "temporary copy made by a script. Nothing was sent.")
        except StaleTransition:
            pass  # it was sent (or is being): it keeps its stage

    def _result(self, job: Job, aligned: dict[int, Audio], song: _Song,
                out: Path | None) -> InpaintResult:
        if job.stage is not Stage.DONE:
            raise JobFailed(f"Job {job.id[:8]} ended {job.stage.value}: "
                            f"{job.message or 'no reason was given.'}", job_id=job.id,
                            stage=job.stage.value, resumable=False)
        files = {r.index: Path(r.path) for r in job.results if r.path}
        parts = {r.index: Path(r.midi_path) for r in job.results
                 if r.midi_path and Path(r.midi_path).is_file()}
        if out is not None:
            from inpaint_studio.jobs.results import copy_parts, copy_results

            copied = copy_results(job, out, f"{song.stem}-{job.id[:8]}")
            files = dict(zip(files, copied, strict=True))  # both in the job's result order
            parts = copy_parts(job, out, f"{song.stem}-{job.id[:8]}")
        missing = sorted(set(files) - set(aligned))
        if missing:  # not expected: the runner hands over every version it aligned
            raise JobFailed(f"Job {job.id[:8]} finished, but version(s) {missing} could not be "
                            "read back.", job_id=job.id, stage=job.stage.value, resumable=False)
        versions = [Version(i, files[i], aligned[i], song.sample_width, part_midi=parts.get(i))
                    for i in sorted(files)]
        return InpaintResult(job.id, job.backend, job.start, job.end, versions, job.message)


def inpaint(song: Song, start: float, end: float, prompt: str, *, backend: str = LOCAL,
            api_key: str | None = None, lyrics: str | None = None,
            section_lyrics: str | None = None, gender: str | None = None, versions: int = 2,
            sample_rate: int | None = None, out_dir: str | os.PathLike[str] | None = None,
            title: str | None = None, min_region_s: float = MIN_REGION_S,
            cancel: CancelToken | None = None, progress: Callable[[str], None] | None = None,
            base_url: str | None = None, plan: str = "pro",
            store: str | os.PathLike[str] | None = None,
            local_engine: str | None = None) -> InpaintResult:
    """Replace `start`..`end` seconds of `song` with what `prompt` describes; wait; return the
    versions.

    `song`: a file path, a pydub `AudioSegment`, or a numpy array (with `sample_rate`).
    `backend`: "local" (default) or "musicgpt" (paid; `api_key` or the stored key).
    `lyrics`/`section_lyrics`/`gender`: as in the app's job form; `versions`: 1 or 2.
    `out_dir`: copy the returned files there as `<name>-<job>-v<N>.<ext>`.
    `progress`: called with a line of text at each step (`progress=print` shows them).
    `cancel`: a `CancelToken`; cancelling stops waiting (the job stays resumable).

    Raises `InvalidInput` (a ValueError) before anything is sent when the song or a parameter
    cannot be used — including a region shorter than `min_region_s` (3 s) or past the song's
    end — and `JobFailed` when the job does not end with its versions. Warnings that do not
    stop the job (a long region, a long prompt) are issued as `InpaintWarning`."""
    with Studio(backend, api_key=api_key, base_url=base_url, plan=plan, store=store,
                local_engine=local_engine) as studio:
        return studio.inpaint(song, start, end, prompt, lyrics=lyrics,
                              section_lyrics=section_lyrics, gender=gender, versions=versions,
                              sample_rate=sample_rate, out_dir=out_dir, title=title,
                              min_region_s=min_region_s, cancel=cancel, progress=progress)


# -- input ---------------------------------------------------------------------------------------
_GUARD_HINT = ("Put the calls under `if __name__ == \"__main__\":` (see docs/scripting.md); "
               "notebooks need nothing.")


def _refuse_in_bootstrapping_child() -> None:
    """The local backend runs its engine in spawned processes, and a spawned process first
    imports the script that started it. A script that calls `inpaint` at its top level, not
    under `if __name__ == "__main__":`, would then start a second server and job from inside
    that import; stop it here, with the fix, before it creates anything."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError("inpaint_studio was called while a worker process of the local "
                           f"backend was importing your script. {_GUARD_HINT}")


def _refuse_unguarded_script() -> None:
    """The same mistake seen from the script itself, before anything is sent: the call comes
    from the top level of a `__main__` that the engine processes will import again, and that
    line is not inside `if __name__ == "__main__":`. Interactive sessions, notebooks and
    `python -m package` are never imported again, so they pass."""
    import sys

    main = sys.modules.get("__main__")
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    path = getattr(main, "__file__", None)
    if main is None or (spec_name or "").endswith("__main__") or (not spec_name and not path):
        return
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is vars(main)
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, TypeError):
        return  # cannot tell: let it run
    line = frame.f_lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body and \
                node.body[0].lineno <= line <= (node.body[-1].end_lineno or line):
            return
    raise RuntimeError(f"{Path(path).name}, line {line}, calls inpaint_studio at the top level "
                       "of the script. The local backend's engine processes import the script "
                       f"again, so that call would run in each of them. {_GUARD_HINT}")


def _is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in sides) and \
        any(isinstance(a, ast.Constant) and a.value == "__main__" for a in sides)


def _seconds(name: str, value: Any) -> float:
    """A region bound as float seconds (numpy scalars too); anything else is refused."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(f"{name} must be a number of seconds, not {value!r}.")
    return float(value)


def _accept(song: Song, sample_rate: int | None) -> _Song:
    """The song as `Audio`, with the file to upload when it already is one."""
    if isinstance(song, str | os.PathLike):
        text = os.fspath(song)
        if text.startswith(("http://", "https://")):
            raise InvalidInput("An address cannot be given as the song here: download it first "
                               "and pass the file (the versions are aligned to its audio).")
        path = Path(text).expanduser().resolve()
        if sample_rate is not None:
            raise InvalidInput("sample_rate is only for numpy arrays; a file has its own.")
        return _Song(load_file(path), path, str(path), path.stem or "song", 2)
    if is_segment(song):
        if sample_rate is not None:
            raise InvalidInput("sample_rate is only for numpy arrays; an AudioSegment has its "
                               "own frame_rate.")
        return _Song(segment_to_audio(song), None, "AudioSegment", "song",
                     int(song.sample_width), segment=song)
    if hasattr(song, "__array__") or isinstance(song, list | tuple):
        audio = array_to_audio(song, sample_rate)
        pcm16 = getattr(song, "dtype", None) in ("int8", "uint8", "int16")
        return _Song(audio, None, "numpy array", "song", 2, "s16" if pcm16 else "s32")
    raise InvalidInput(f"The song must be a file path, a numpy array or a pydub AudioSegment, "
                       f"not {type(song).__name__}.")


def _check(fields: dict[str, Any], start: float, end: float, duration: float,
           min_region_s: float) -> None:
    """Every problem with the request, before anything is written or sent: errors raise
    `InvalidInput` (all of them in one message), warnings are issued as `InpaintWarning`."""
    problems = []
    if end > start and end - start < min_region_s:
        problems.append(f"The region {start:g}–{end:g} s is {end - start:.2f} s long; regions "
                        f"shorter than {min_region_s:g} s rarely give a usable result "
                        "(min_region_s= lowers this limit).")
    # The song is checked here (it may not be a file yet), the rest as the app's form checks it.
    issues = validate(fields, audio_path=None, audio_url=None, start=start, end=end,
                      song_duration=duration, limits=Limits(region_min_s=None))
    problems += [i.message for i in issues
                 if i.severity == "error" and i.field not in ("audio_file", "audio_url")]
    if problems:
        raise InvalidInput(" ".join(problems))
    for issue in issues:
        if issue.severity != "error":
            warnings.warn(issue.message, InpaintWarning, stacklevel=4)


def _write_upload(song: _Song, folder: Path, token: CancelToken) -> Path:
    """The song as a FLAC file to upload, atomically: an AudioSegment's own samples (see
    `segment_to_flac`); an array's as 16-bit when it was 16-bit PCM or less, else 24-bit."""
    from inpaint_studio.core.encode import encode_audio

    if song.segment is not None:
        return segment_to_flac(song.segment, folder / "song.flac", token)
    return encode_audio(song.audio, folder / "song.flac",
                        codec_args=["-c:a", "flac", "-sample_fmt", song.flac_format], token=token)


class _Progress:
    """JobEvents as lines of text for `progress`: each stage once, byte progress by tenths."""

    def __init__(self, out: Callable[[str], None] | None) -> None:
        self.out = out
        self.last = ""

    def __call__(self, event: JobEvent) -> None:
        if self.out is None or event.kind == "version":
            return
        if event.kind in ("upload", "download"):
            what = "uploading" if event.kind == "upload" else f"downloading version {event.index}"
            tenth = int(10 * event.done / event.total) * 10 if event.total else 0
            line = f"{what}: {tenth}%"
        else:
            from inpaint_studio.jobs.describe import describe_stage

            line = describe_stage(event.job)
            if event.kind == "retry":
                line += f" — {event.note}"
        if line != self.last:
            self.last = line
            self.out(line)
