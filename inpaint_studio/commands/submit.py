"""`inpaint-studio submit SONG --start S --end E --prompt P ...`: send one inpaint job.

The job is saved in the job store (shared with the GUI) before anything is sent. With `--wait`
the command follows it to the end and, with `--out`, copies both versions there. With
`--backend local` the local server runs inside this command, so it always waits."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inpaint_studio.backends.backend import LOCAL, MUSICGPT, VOICES, cost_estimate, validate
from inpaint_studio.commands import jobs_common as common
from inpaint_studio.jobs.describe import describe_stage
from inpaint_studio.jobs.results import copy_parts, copy_results


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("submit", help="send a region of a song to be replaced",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("song", help="an audio file, or an http(s) address sent as audio_url")
    p.add_argument("--start", type=float, required=True, help="region start (seconds)")
    p.add_argument("--end", type=float, required=True, help="region end (seconds)")
    p.add_argument("--prompt", required=True, help="how the replaced part should sound")
    p.add_argument("--lyrics", help="lyrics of the whole song")
    p.add_argument("--section-lyrics", dest="section_lyrics",
                   help="new lyrics for the replaced section")
    p.add_argument("--gender", choices=VOICES, help="voice for the replaced section")
    p.add_argument("--versions", type=int, choices=(1, 2), default=2)
    p.add_argument("--title")
    p.add_argument("--webhook-url", dest="webhook_url")
    p.add_argument("--album-cover", action="store_true")
    p.add_argument("--lyrics-timestamps", action="store_true")
    p.add_argument("--backend", choices=(LOCAL, MUSICGPT), default=None,
                   help="default: musicgpt when a key is set, else local")
    p.add_argument("--wait", action="store_true", help="follow the job to its end")
    p.add_argument("--out", type=Path, help="copy the versions here (implies --wait)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    common.add_backend_options(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    is_url = args.song.startswith(("http://", "https://"))
    song = args.song if is_url else str(Path(args.song).resolve())
    fields = {
        "prompt": args.prompt, "lyrics": args.lyrics,
        "lyrics_section_to_replace": args.section_lyrics, "gender": args.gender,
        "num_outputs": args.versions, "title": args.title, "webhook_url": args.webhook_url,
        "generate_album_cover": args.album_cover, "lyrics_timestamps": args.lyrics_timestamps,
    }
    duration = None
    if not is_url:
        from inpaint_studio.core.decode import probe
        from inpaint_studio.core.errors import AudioError

        try:
            duration = probe(song).declared_duration
        except AudioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    issues = validate(fields, audio_path=None if is_url else song,
                      audio_url=song if is_url else None, start=args.start, end=args.end,
                      song_duration=duration)
    for issue in issues:
        print(f"{issue.severity}: {issue.field}: {issue.message}", file=sys.stderr)
    if any(i.severity == "error" for i in issues):
        return 2
    backends = common.make_backends(args, args.backend or "")
    kind = backends.active_kind()
    if kind == MUSICGPT and not backends.keys.get():
        print("error: no MusicGPT API key: set MUSICGPT_API_KEY (or store one in the app's "
              "Settings), or use --backend local.", file=sys.stderr)
        return 2
    upload = ""
    if not is_url:
        # Everything the backend would refuse is refused here, before anything is saved or
        # sent; a song of more than two channels is sent as a stereo down-mix.
        from inpaint_studio import paths
        from inpaint_studio.backends.preflight import preflight

        prepared = preflight(song, kind, args.start, args.end, paths.cache_dir() / "uploads",
                             backends.preflight_limits(kind))
        for problem in prepared.problems:
            print(f"error: {problem}", file=sys.stderr)
        if not prepared.ok:
            backends.stop()
            return 2
        for note in prepared.notes:
            print(f"note: {note}", file=sys.stderr)
        upload = prepared.upload_path
    store = common.open_store(args)
    params = {k: v for k, v in fields.items() if v not in (None, "")}
    job = store.create(backend=kind, base_url=backends.base_url(kind) if kind == MUSICGPT
                       else "local", source=song, upload_path=upload,
                       start=args.start, end=args.end, params=params,
                       deliver_to=str(args.out.resolve()) if args.out else "")
    if not args.quiet:
        cost = cost_estimate(kind, args.plan, args.versions)
        print(f"{job.id[:8]} saved; backend {kind}. {cost}", file=sys.stderr)
    printer = common.Printer(args.quiet)
    try:
        if kind == MUSICGPT and not (args.wait or args.out):
            # Send it and stop after the server has accepted it; `resume` follows it later.
            from inpaint_studio import paths
            from inpaint_studio.backends.runs import job_runner

            runner = job_runner(store, backends, job, paths.cache_dir(), on_progress=printer)
            gen = runner.run(job.id)
            for event in gen:
                printer(event)
                if event.job.task_id:
                    gen.close()
                    break
            job = store.get(job.id)
            print(job.id)
            return 0 if job.task_id else common.exit_code(job)
        job = common.run_job(store, backends, job, printer=printer)
    finally:
        backends.stop()
    print(job.id)
    if args.out and job.results:
        stem = Path(song.split("?")[0]).stem or "song"
        for path in copy_results(job, args.out, stem) + list(
                copy_parts(job, args.out, stem).values()):
            print(path)
    if common.exit_code(job) and not args.quiet:
        print(f"{job.id[:8]} {describe_stage(job)}", file=sys.stderr)
    return common.exit_code(job)
