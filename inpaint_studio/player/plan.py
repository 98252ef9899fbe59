"""Prompt → plan: what the session player will do with a region, decided from the words alone.

`parse(prompt)` reads the prompt with a small vocabulary (instruments → General MIDI programs,
roles, styles, feels, dynamics, density, register, what happens to the song underneath) and
returns a `Plan`: JSON-serialisable (`to_dict` / `from_dict`), with `describe()` giving the
sentence shown before submitting. Words it did not understand are listed, and where the words
cannot be followed (lyrics, an instrument General MIDI lacks) `notes` says so. An empty or
non-musical prompt gives action "continue": the engine's continuation fill, as before.

GM program numbers here are 0-based (as MIDI files carry them): Acoustic Grand Piano is 0."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

GM_NAMES = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel",
    "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion",
    "Harmonica", "Tango Accordion", "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)", "Electric Guitar (clean)", "Electric Guitar (muted)",
    "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics", "Acoustic Bass",
    "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2", "Soprano Sax", "Alto Sax",
    "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet", "Piccolo",
    "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)",
    "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)", "FX 1 (rain)", "FX 2 (soundtrack)",
    "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)", "FX 6 (goblins)",
    "FX 7 (echoes)", "FX 8 (sci-fi)", "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba",
    "Bagpipe", "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal", "Guitar Fret Noise",
    "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot",
)
assert len(GM_NAMES) == 128

ACTIONS = ("add", "replace", "restyle", "continue")
ROLES = ("solo", "melody", "pad", "arpeggio", "bass", "drums", "fill")
DYNAMICS_DB = {  # the part's loudness relative to the song underneath (BS.1770), dB
    "very soft": -13.0, "soft": -10.0, "medium": -5.0, "loud": -1.0,
}
BEDS = ("kept", "ducked", "percussive-only", "harmonic-only", "none")
FEELS = ("slow vibe", "half-time", "build-up", "breakdown", "drop")
GENERIC_GUITAR = -1  # resolved from the other words (soft → nylon, rock → overdriven …)
DRUMS = -2  # channel 10; program 0 (Standard kit)

# phrase → (GM program, instrument name shown, default role)
INSTRUMENTS: dict[str, tuple[int, str, str]] = {
    "guitar": (GENERIC_GUITAR, "guitar", "melody"),
    "nylon guitar": (24, "nylon guitar", "melody"), "nylon": (24, "nylon guitar", "melody"),
    "classical guitar": (24, "nylon guitar", "melody"),
    "spanish guitar": (24, "nylon guitar", "melody"),
    "acoustic guitar": (25, "acoustic guitar", "arpeggio"),
    "steel guitar": (25, "acoustic guitar", "arpeggio"),
    "jazz guitar": (26, "jazz guitar", "melody"),
    "electric guitar": (27, "electric guitar", "melody"),
    "clean guitar": (27, "clean electric guitar", "melody"),
    "muted guitar": (28, "muted guitar", "arpeggio"),
    "overdriven guitar": (29, "overdriven guitar", "solo"),
    "distorted guitar": (30, "distorted guitar", "solo"),
    "distortion guitar": (30, "distorted guitar", "solo"),
    "rock guitar": (29, "overdriven guitar", "solo"),
    "piano": (0, "piano", "pad"), "grand piano": (0, "piano", "pad"),
    "keys": (4, "electric piano", "pad"), "electric piano": (4, "electric piano", "pad"),
    "rhodes": (4, "electric piano", "pad"), "wurlitzer": (4, "electric piano", "pad"),
    "harpsichord": (6, "harpsichord", "arpeggio"), "clavinet": (7, "clavinet", "pad"),
    "celesta": (8, "celesta", "arpeggio"), "glockenspiel": (9, "glockenspiel", "melody"),
    "music box": (10, "music box", "arpeggio"), "vibraphone": (11, "vibraphone", "melody"),
    "vibes": (11, "vibraphone", "melody"), "marimba": (12, "marimba", "arpeggio"),
    "xylophone": (13, "xylophone", "melody"), "bells": (14, "tubular bells", "melody"),
    "organ": (16, "organ", "pad"), "hammond": (16, "organ", "pad"),
    "rock organ": (18, "rock organ", "pad"), "church organ": (19, "church organ", "pad"),
    "pipe organ": (19, "church organ", "pad"), "accordion": (21, "accordion", "melody"),
    "harmonica": (22, "harmonica", "solo"),
    "bass": (33, "bass", "bass"), "bass guitar": (33, "bass", "bass"),
    "electric bass": (33, "bass", "bass"), "upright bass": (32, "upright bass", "bass"),
    "double bass": (32, "upright bass", "bass"), "acoustic bass": (32, "upright bass", "bass"),
    "fretless bass": (35, "fretless bass", "bass"), "slap bass": (36, "slap bass", "bass"),
    "synth bass": (38, "synth bass", "bass"), "808": (38, "synth bass", "bass"),
    "violin": (40, "violin", "melody"), "viola": (41, "viola", "melody"),
    "cello": (42, "cello", "melody"), "contrabass": (43, "contrabass", "bass"),
    "pizzicato": (45, "pizzicato strings", "arpeggio"),
    "pizzicato strings": (45, "pizzicato strings", "arpeggio"),
    "harp": (46, "harp", "arpeggio"), "timpani": (47, "timpani", "bass"),
    "strings": (48, "strings", "pad"), "string section": (48, "strings", "pad"),
    "orchestra": (48, "strings", "pad"), "synth strings": (50, "synth strings", "pad"),
    "choir": (52, "choir", "pad"), "opera vocal": (52, "opera choir aahs", "melody"),
    "opera": (52, "opera choir aahs", "melody"),
    "opera style vocal": (52, "opera choir aahs", "melody"),
    "opera style vocals": (52, "opera choir aahs", "melody"),
    "opera style": (52, "opera choir aahs", "melody"),
    "opera singer": (52, "opera choir aahs", "melody"),
    "operatic vocal": (52, "opera choir aahs", "melody"),
    "operatic": (52, "opera choir aahs", "melody"), "soprano": (52, "opera choir aahs", "melody"),
    "vocal": (53, "voice oohs", "melody"),
    "vocals": (53, "voice oohs", "melody"), "voice": (53, "voice oohs", "melody"),
    "singer": (53, "voice oohs", "melody"), "humming": (53, "voice oohs", "melody"),
    "trumpet": (56, "trumpet", "solo"), "trombone": (57, "trombone", "melody"),
    "tuba": (58, "tuba", "bass"), "muted trumpet": (59, "muted trumpet", "solo"),
    "horn": (60, "french horn", "melody"), "french horn": (60, "french horn", "melody"),
    "horns": (61, "brass", "pad"), "brass": (61, "brass", "pad"),
    "brass section": (61, "brass", "pad"), "synth brass": (62, "synth brass", "pad"),
    "sax": (65, "alto sax", "solo"), "saxophone": (65, "alto sax", "solo"),
    "alto sax": (65, "alto sax", "solo"), "soprano sax": (64, "soprano sax", "solo"),
    "tenor sax": (66, "tenor sax", "solo"), "baritone sax": (67, "baritone sax", "melody"),
    "oboe": (68, "oboe", "melody"), "bassoon": (70, "bassoon", "melody"),
    "clarinet": (71, "clarinet", "melody"), "piccolo": (72, "piccolo", "melody"),
    "flute": (73, "flute", "melody"), "recorder": (74, "recorder", "melody"),
    "pan flute": (75, "pan flute", "melody"), "shakuhachi": (77, "shakuhachi", "melody"),
    "whistle": (78, "whistle", "melody"), "whistling": (78, "whistle", "melody"),
    "ocarina": (79, "ocarina", "melody"),
    "synth lead": (81, "synth lead", "solo"), "lead synth": (81, "synth lead", "solo"),
    "square lead": (80, "square lead", "solo"), "saw lead": (81, "synth lead", "solo"),
    "synth": (81, "synth lead", "melody"), "synthesizer": (81, "synth lead", "melody"),
    "pad": (89, "warm pad", "pad"), "synth pad": (89, "warm pad", "pad"),
    "warm pad": (89, "warm pad", "pad"), "ambient pad": (88, "new age pad", "pad"),
    "sitar": (104, "sitar", "melody"), "banjo": (105, "banjo", "arpeggio"),
    "shamisen": (106, "shamisen", "melody"), "koto": (107, "koto", "arpeggio"),
    "kalimba": (108, "kalimba", "arpeggio"), "bagpipe": (109, "bagpipe", "melody"),
    "bagpipes": (109, "bagpipe", "melody"), "fiddle": (110, "fiddle", "melody"),
    "steel drums": (114, "steel drums", "melody"), "steelpan": (114, "steel drums", "melody"),
    "drums": (DRUMS, "drums", "drums"), "drum": (DRUMS, "drums", "drums"),
    "drum kit": (DRUMS, "drums", "drums"), "percussion": (DRUMS, "drums", "drums"),
    "beat": (DRUMS, "drums", "drums"), "groove": (DRUMS, "drums", "drums"),
    "shaker": (DRUMS, "drums", "drums"), "tambourine": (DRUMS, "drums", "drums"),
    "drum fill": (DRUMS, "drums", "fill"), "drum roll": (DRUMS, "drums", "fill"),
}
# instruments General MIDI lacks → the nearest one it has
FALLBACKS: dict[str, tuple[int, str, str]] = {
    "ukulele": (24, "nylon guitar", "arpeggio"), "mandolin": (105, "banjo", "arpeggio"),
    "lute": (24, "nylon guitar", "arpeggio"), "oud": (24, "nylon guitar", "melody"),
    "erhu": (40, "violin", "melody"), "duduk": (68, "oboe", "melody"),
    "didgeridoo": (58, "tuba", "bass"), "theremin": (40, "violin", "melody"),
    "zither": (15, "dulcimer", "arpeggio"), "bouzouki": (105, "banjo", "arpeggio"),
    "balalaika": (105, "banjo", "arpeggio"), "tabla": (DRUMS, "drums", "drums"),
    "bongos": (DRUMS, "drums", "drums"), "congas": (DRUMS, "drums", "drums"),
    "cajon": (DRUMS, "drums", "drums"), "guzheng": (107, "koto", "arpeggio"),
    "pipa": (106, "shamisen", "melody"), "harmonium": (20, "reed organ", "pad"),
    "melodica": (22, "harmonica", "melody"), "mellotron": (48, "strings", "pad"),
    "cornet": (56, "trumpet", "solo"), "flugelhorn": (56, "trumpet", "solo"),
    "euphonium": (58, "tuba", "bass"), "handpan": (114, "steel drums", "melody"),
}
ROLE_WORDS = {
    "solo": "solo", "solos": "solo", "lead": "solo", "shred": "solo", "improvisation": "solo",
    "melody": "melody", "tune": "melody", "theme": "melody", "line": "melody", "riff": "melody",
    "hook": "melody", "countermelody": "melody", "counter melody": "melody",
    "pad": "pad", "pads": "pad", "chords": "pad", "chord": "pad", "comping": "pad",
    "stabs": "pad", "strumming": "pad", "strum": "pad", "sustained": "pad", "swell": "pad",
    "arpeggio": "arpeggio", "arpeggios": "arpeggio", "arpeggiated": "arpeggio", "arp": "arpeggio",
    "arps": "arpeggio", "broken chords": "arpeggio", "fingerpicking": "arpeggio",
    "picking": "arpeggio",
    "bass line": "bass", "bassline": "bass", "walking bass": "bass",
    "pattern": "drums", "rhythm": "drums",
    "fill": "fill", "fills": "fill", "roll": "fill",
}
STYLE_WORDS = {
    "classical": "classical", "baroque": "classical", "orchestral": "orchestral",
    "cinematic": "orchestral", "epic": "orchestral", "jazz": "jazz", "jazzy": "jazz",
    "swing": "jazz", "bossa": "jazz", "bossa nova": "jazz", "blues": "blues", "bluesy": "blues",
    "rock": "rock", "metal": "rock", "punk": "rock", "grunge": "rock", "lofi": "lofi",
    "lo fi": "lofi", "ambient": "ambient", "dreamy": "ambient", "ethereal": "ambient",
    "electronic": "electronic", "edm": "electronic", "techno": "electronic",
    "house": "electronic", "synthwave": "electronic", "funk": "funk", "funky": "funk",
    "disco": "funk", "pop": "pop", "folk": "folk", "country": "folk", "acoustic": "folk",
    "latin": "latin", "reggae": "latin", "hip hop": "lofi", "hiphop": "lofi", "trap": "lofi",
    "gospel": "gospel", "soul": "gospel", "rnb": "gospel", "r&b": "gospel",
}
# style → the parts it brings when the prompt names no instrument
STYLE_PARTS: dict[str, list[tuple[int, str, str]]] = {
    "classical": [(48, "strings", "pad"), (0, "piano", "arpeggio")],
    "orchestral": [(48, "strings", "pad"), (61, "brass", "melody"), (47, "timpani", "bass")],
    "jazz": [(4, "electric piano", "pad"), (32, "upright bass", "bass"),
             (DRUMS, "drums", "drums")],
    "blues": [(27, "electric guitar", "solo"), (33, "bass", "bass"), (DRUMS, "drums", "drums")],
    "rock": [(29, "overdriven guitar", "pad"), (33, "bass", "bass"), (DRUMS, "drums", "drums")],
    "lofi": [(4, "electric piano", "pad"), (33, "bass", "bass"), (DRUMS, "drums", "drums")],
    "ambient": [(89, "warm pad", "pad"), (46, "harp", "arpeggio")],
    "electronic": [(81, "synth lead", "arpeggio"), (38, "synth bass", "bass"),
                   (DRUMS, "drums", "drums")],
    "funk": [(7, "clavinet", "pad"), (36, "slap bass", "bass"), (DRUMS, "drums", "drums")],
    "pop": [(0, "piano", "pad"), (33, "bass", "bass"), (DRUMS, "drums", "drums")],
    "folk": [(25, "acoustic guitar", "arpeggio"), (32, "upright bass", "bass")],
    "latin": [(24, "nylon guitar", "arpeggio"), (33, "bass", "bass"), (DRUMS, "drums", "drums")],
    "gospel": [(16, "organ", "pad"), (52, "choir", "pad"), (33, "bass", "bass")],
}
# role named with no instrument → who plays it
ROLE_DEFAULT = {
    "solo": (27, "electric guitar"), "melody": (0, "piano"), "pad": (89, "warm pad"),
    "arpeggio": (0, "piano"), "bass": (33, "bass"), "drums": (DRUMS, "drums"),
    "fill": (DRUMS, "drums"),
}
DYN_WORDS = {
    "very soft": "very soft", "very quiet": "very soft", "barely audible": "very soft",
    "whisper": "very soft", "faint": "very soft", "pianissimo": "very soft",
    "soft": "soft", "softly": "soft", "quiet": "soft", "quietly": "soft", "gentle": "soft",
    "gently": "soft", "subtle": "soft", "mellow": "soft", "delicate": "soft", "calm": "soft",
    "light": "soft", "tender": "soft", "intimate": "soft", "background": "soft",
    "medium": "medium", "moderate": "medium", "warm": "medium",
    "loud": "loud", "loudly": "loud", "powerful": "loud", "big": "loud", "strong": "loud",
    "energetic": "loud", "intense": "loud", "heavy": "loud", "driving": "loud",
    "aggressive": "loud", "huge": "loud", "massive": "loud", "fortissimo": "loud",
    "punchy": "loud", "upbeat": "loud",
}
FEEL_WORDS = {
    "slow vibe": "slow vibe", "slow": "slow vibe", "laid back": "slow vibe",
    "chill": "slow vibe", "relaxed": "slow vibe", "lazy": "slow vibe", "dreamy": "slow vibe",
    "half time": "half-time", "halftime": "half-time",
    "build up": "build-up", "buildup": "build-up", "build": "build-up", "rising": "build-up",
    "crescendo": "build-up", "riser": "build-up",
    "breakdown": "breakdown", "break down": "breakdown", "stripped back": "breakdown",
    "stripped down": "breakdown", "drop": "drop", "the drop": "drop",
}
DENSITY_WORDS = {
    "sparse": "sparse", "minimal": "sparse", "simple": "sparse", "few notes": "sparse",
    "sparse notes": "sparse", "long notes": "sparse", "sustained notes": "sparse",
    "busy": "busy", "fast": "busy", "dense": "busy", "virtuosic": "busy", "flashy": "busy",
    "lots of notes": "busy", "shredding": "busy", "intricate": "busy", "complex": "busy",
}
REGISTER_WORDS = {
    "low": "low", "deep": "low", "dark": "low", "high": "high", "bright": "high",
    "airy": "high", "soaring": "high", "sparkling": "high", "shimmering": "high",
    "middle": "mid", "mid range": "mid",
}
ACTION_WORDS = {
    "add": "add", "adding": "add", "layer": "add", "overlay": "add", "over": "add",
    "on top": "add", "on top of": "add", "put": "add", "throw in": "add", "accompany": "add",
    "replace": "replace", "replacing": "replace", "instead": "replace", "swap": "replace",
    "substitute": "replace", "turn this into": "replace", "change this to": "replace",
    "rewrite": "replace",
    "restyle": "restyle", "reimagine": "restyle", "rearrange": "restyle",
    "make it": "restyle", "make this": "restyle", "in the style of": "restyle",
    "style": "restyle", "vibe": "restyle", "feel": "restyle", "version": "restyle",
    "continue": "continue", "extend": "continue", "more of the same": "continue",
    "keep going": "continue", "same as before": "continue", "fill": "continue",
    "fill in": "continue", "fill the gap": "continue",
}
# phrases about the song underneath (checked before everything else: "drop the drums" is a bed)
BED_PHRASES = {
    "no drums": "harmonic-only", "without drums": "harmonic-only",
    "without the drums": "harmonic-only", "drop the drums": "harmonic-only",
    "remove the drums": "harmonic-only", "mute the drums": "harmonic-only",
    "only drums": "percussive-only", "only the drums": "percussive-only",
    "just the drums": "percussive-only", "keep the drums": "percussive-only",
    "keep only the drums": "percussive-only", "over the drums": "percussive-only",
    "keep the beat": "percussive-only", "just the beat": "percussive-only",
    "keep the song": "kept", "song underneath": "kept", "keep everything": "kept",
    "keep the music": "kept", "in the background": "ducked", "duck": "ducked",
    "ducked": "ducked", "duck the song": "ducked", "song quieter": "ducked",
    "turn the song down": "ducked", "nothing else": "none", "alone": "none",
    "a cappella": "none", "acapella": "none", "on its own": "none", "by itself": "none",
    "remove everything": "none", "mute the song": "none", "remove the song": "none",
}
LYRIC_WORDS = ("lyrics", "lyric", "words", "sing", "sings", "singing", "saying", "rap",
               "rapping", "sung")
STOP = set("""a an the here this that these those part section region bit little some please
    me it its into in on to of for with and or but by at as from is be are was were can could
    would should will just now then there where while more less very really quite kind sort
    sound sounds sounding like style styled vibe vibes feeling mood play plays playing played
    let lets let's i we you my our your song track music tune bars bar beats second seconds
    give want need try have gonna going something bring do does make makes made type nice
    good cool maybe also too so than same new old sort of area spot moment bridge intro outro
    under underneath behind out up down all whole way bit go instrument instruments parts
    one two few using use used chorus choruses verse verses refrain hook prechorus pre-chorus
    middle ending end start beginning transition""".split())


@dataclass
class Part:
    """One part the player composes: a GM program (0-based; ignored for drums), who plays it
    (shown to the musician) and its role."""

    program: int
    instrument: str
    role: str
    drums: bool = False

    @property
    def gm_name(self) -> str:
        return "Standard Drum Kit" if self.drums else GM_NAMES[self.program]


@dataclass
class Plan:
    """What the player will do with the region. `level_db` is the target loudness of the
    parts relative to the song underneath (BS.1770), `bed` what is left of the song."""

    action: str = "continue"
    parts: list[Part] = field(default_factory=list)
    dynamics: str = "medium"
    level_db: float = DYNAMICS_DB["medium"]
    density: str = "medium"
    register: str = "mid"
    feel: list[str] = field(default_factory=list)
    style: str | None = None
    bed: str = "kept"
    unknown_words: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prompt: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for p, part in zip(d["parts"], self.parts, strict=True):
            p["gm_name"] = part.gm_name
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        d = dict(d)
        d["parts"] = [Part(int(p["program"]), str(p["instrument"]), str(p["role"]),
                           bool(p.get("drums", False))) for p in d.get("parts", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def describe(self) -> str:
        """The sentence shown before submitting, e.g. "Will add: soft nylon guitar solo over
        the region, song kept underneath"."""
        if self.action == "continue":
            return ("Will continue: fill the region with passages of the song itself "
                    "(no instrument or style in the prompt)")
        names = []
        for p in self.parts:
            role = {"pad": "chords", "arpeggio": "arpeggios", "bass": "line", "drums": "groove",
                    "fill": "fill"}.get(p.role, p.role)
            if p.role == "bass" and "bass" not in p.instrument:
                role = "bass line"
            # "drum fill", "string chords": a plural instrument names its part in the singular
            instrument = {"drums": "drum", "strings": "string"}.get(p.instrument, p.instrument)
            names.append(f"{instrument} {role}")
        what = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        lead = " ".join(x for x in (self.dynamics if self.dynamics != "medium" else "",
                                    self.style or "") if x)
        if lead:
            what = f"{lead} {what}"
        feel = f" ({', '.join(self.feel)})" if self.feel else ""
        bed = {"kept": "song kept underneath", "ducked": "song ducked underneath",
               "percussive-only": "only the song's drums kept underneath",
               "harmonic-only": "the song kept without its drums",
               "none": "song removed in the region"}[self.bed]
        if self.action == "add":
            return f"Will add: {what}{feel} over the region, {bed}"
        if self.action == "replace":
            return f"Will replace the region with: {what}{feel}, {bed}"
        return f"Will restyle the region: {what}{feel} on the song's chords, {bed}"


def _tokens(prompt: str) -> list[str]:
    text = prompt.lower().replace("’", "'")
    text = re.sub(r"[-_/]", " ", text)
    return [w.strip("'") for w in re.findall(r"[a-z0-9&']+", text) if w.strip("'")]


# words that take the next instrument out rather than add it ("remove the vocals", "without
# piano", "mute the bass"): the player adds parts, it cannot take one out of the song
NEGATE_WORDS = {w: True for w in (
    "remove", "removing", "without", "mute", "muted", "take out", "take away", "get rid of",
    "no", "less", "lose", "cut", "kill", "strip", "minus", "delete", "silence")}


def _phrase_tables() -> list[tuple[str, dict]]:
    return [("bed", BED_PHRASES), ("negate", NEGATE_WORDS), ("instrument", INSTRUMENTS),
            ("fallback", FALLBACKS),
            ("style", STYLE_WORDS), ("feel", FEEL_WORDS), ("density", DENSITY_WORDS),
            ("dyn", DYN_WORDS), ("register", REGISTER_WORDS), ("role", ROLE_WORDS),
            ("action", ACTION_WORDS)]


def _scan(tokens: list[str]) -> list[tuple[str, str, Any]]:
    """Greedy longest-phrase match: (kind, phrase, value) per recognised phrase; unknown
    words as ("unknown", word, None); stop words dropped. Where a phrase is in more than one
    table the first table in `_phrase_tables` wins (a bed phrase before an instrument)."""
    tables = _phrase_tables()
    longest = max(len(k.split()) for _, t in tables for k in t)
    out: list[tuple[str, str, Any]] = []
    i = 0
    while i < len(tokens):
        hit = None
        for n in range(min(longest, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i:i + n])
            for kind, table in tables:
                if phrase in table:
                    hit = (kind, phrase, table[phrase], n)
                    break
            if hit:
                break
        if hit:
            out.append(hit[:3])
            i += hit[3]
            continue
        w = tokens[i]
        if w.endswith("s") and w[:-1] in INSTRUMENTS:  # "flutes", "pianos"
            out.append(("instrument", w[:-1], INSTRUMENTS[w[:-1]]))
        elif w not in STOP and w not in LYRIC_WORDS and not w.isdigit():
            out.append(("unknown", w, None))
        i += 1
    return out


def _guitar(words: set[str], style: str | None, dynamics: str, role: str) -> tuple[int, str]:
    if style == "rock" or "rock" in words or "metal" in words:
        return (30, "distorted guitar") if "metal" in words else (29, "overdriven guitar")
    if style == "jazz":
        return 26, "jazz guitar"
    if style in ("classical", "latin") or dynamics in ("soft", "very soft"):
        return 24, "nylon guitar"
    if dynamics == "loud" and role == "solo":
        return 29, "overdriven guitar"
    if role == "solo":
        return 27, "electric guitar"
    return 25, "acoustic guitar"


def parse(prompt: str) -> Plan:
    """The plan for `prompt` (see the module doc)."""
    plan = Plan(prompt=prompt)
    raw = prompt or ""
    tokens = _tokens(raw)
    words = set(tokens)
    items = _scan(tokens)
    found: dict[str, list] = {}
    for kind, phrase, value in items:
        found.setdefault(kind, []).append((phrase, value))
    plan.unknown_words = [p for p, _ in found.get("unknown", [])]

    dyns = [v for _, v in found.get("dyn", [])]
    if dyns:
        plan.dynamics = dyns[0]
    plan.level_db = DYNAMICS_DB[plan.dynamics]
    styles = [v for _, v in found.get("style", [])]
    plan.style = styles[0] if styles else None
    feels = []
    for _, v in found.get("feel", []):
        if v not in feels:
            feels.append(v)
    plan.feel = feels
    dens = [v for _, v in found.get("density", [])]
    plan.density = dens[0] if dens else ("sparse" if "slow vibe" in feels
                                         or "breakdown" in feels else "medium")
    if not dens and ("build-up" in feels or "drop" in feels):
        plan.density = "busy"
    regs = [v for _, v in found.get("register", [])]
    plan.register = regs[0] if regs else "mid"

    # parts: each instrument takes the role word right after it ("guitar solo", "piano
    # arpeggios"), else a role word anywhere when it is the only instrument, else its default
    parts: list[Part] = []
    roles_free = [v for _, v in found.get("role", [])]
    # instruments named to be taken out: after a negating word, or right after "replace" when
    # another instrument follows ("replace the guitar with piano")
    out: dict[int, str] = {}
    named = [i for i, it in enumerate(items) if it[0] in ("instrument", "fallback")]
    for i in named:
        before = items[i - 1] if i else None
        if before and before[0] == "negate":
            out[i] = "remove"
        elif before and before[0] == "action" and before[2] == "replace" and i != named[-1]:
            out[i] = "replace"
    for i, why in out.items():
        name = items[i][1]  # as the musician wrote it ("vocals", not "voice oohs")
        plan.notes.append(
            f"The {name} cannot be taken out of the song here: the local player adds parts."
            if why == "remove" else
            f"The region is replaced as a whole: the local player cannot take out only the "
            f"{name}.")
    for idx, (kind, phrase, value) in enumerate(items):
        if kind not in ("instrument", "fallback") or idx in out:
            continue
        program, name, role = value
        nxt = items[idx + 1] if idx + 1 < len(items) else None
        if nxt and nxt[0] == "role":
            role = nxt[2]
            if nxt[2] in roles_free:
                roles_free.remove(nxt[2])
        if kind == "fallback":
            shown = "Standard Drum Kit" if program == DRUMS else f"{GM_NAMES[program]} ({program})"
            plan.notes.append(f"'{phrase}' → nearest GM: {shown}")
        parts.append(Part(program, name, role, program == DRUMS))
    n_instr = len(parts)
    if n_instr == 1 and roles_free and not parts[0].drums:
        parts[0].role = roles_free.pop(0)
    elif n_instr == 1 and parts[0].drums and "fill" in roles_free:
        parts[0].role = "fill"
        roles_free.remove("fill")
    if n_instr == 0:
        for role in roles_free:
            if role == "drums" and not (found.get("instrument")):
                continue  # "rhythm"/"pattern" alone say too little
            program, name = ROLE_DEFAULT[role]
            if any(p.role == role for p in parts):
                continue
            parts.append(Part(program, name, role, program == DRUMS))
    if not parts and plan.style:
        parts = [Part(p, n, r, p == DRUMS) for p, n, r in STYLE_PARTS[plan.style]]
    for p in parts:
        if p.program == GENERIC_GUITAR:
            p.program, p.instrument = _guitar(words, plan.style, plan.dynamics, p.role)
        if p.drums:
            p.program = 0
        if p.program == 52 and "opera" in p.instrument:
            plan.notes.append("An opera vocal is played by the SoundFont's Choir Aahs (52): it "
                              "sings vowels, not words.")
        elif p.program in (52, 53) and not any("sings vowels" in n for n in plan.notes):
            plan.notes.append(f"A voice is played by the SoundFont's {GM_NAMES[p.program]} "
                              f"({p.program}): it sings vowels, not words.")
    if any(w in words for w in LYRIC_WORDS) or re.search(r"[\"“”]", raw):
        plan.notes.append("New lyrics cannot be sung: a choir sings vowels.")
        if not parts:
            parts.append(Part(53, "voice oohs", "melody"))
    plan.parts = parts

    actions = [v for _, v in found.get("action", [])]
    musical = bool(parts or feels)
    beds = [v for _, v in found.get("bed", [])]
    if not musical:
        plan.action = "continue"
        plan.parts = []
        if beds and beds[0] in ("harmonic-only", "none"):
            plan.notes.append("Nothing to play was named, so nothing is taken out of the song "
                              "(\"no drums, add a piano\" plays a piano over the song without "
                              "its drums).")
        if out or beds:
            plan.notes.append("The region is filled with passages of the song itself.")
        elif tokens:
            plan.notes.append("No instrument, style or feel recognised: the region is filled "
                              "with passages of the song itself.")
        return plan
    if "replace" in actions:
        plan.action = "replace"
    elif "add" in actions:
        plan.action = "add"
    elif "restyle" in actions or (plan.style and not found.get("instrument")
                                  and not found.get("fallback")):
        plan.action = "restyle"
    elif "continue" in actions and not found.get("instrument") and not found.get("fallback"):
        plan.action = "continue"
    else:
        plan.action = "add"
    if plan.action == "continue":
        plan.parts = []
        return plan
    if not plan.parts:  # a feel alone ("half-time", "slow vibe"): restyle with a pad and bass
        plan.parts = [Part(89, "warm pad", "pad"), Part(33, "bass", "bass")]
        if plan.action == "add":
            plan.action = "restyle"

    if beds:
        plan.bed = beds[0]
    elif plan.action == "replace":
        plan.bed = "none"
    elif plan.action == "restyle":
        plan.bed = "ducked"
    elif "breakdown" in feels:
        plan.bed = "ducked"
    else:
        plan.bed = "kept"
    if plan.action == "replace" and plan.bed == "none" and all(
            p.role in ("solo", "melody") for p in plan.parts):
        plan.parts.append(Part(48, "strings", "pad"))
        plan.notes.append("The region is replaced, so a string pad on the song's chords "
                          "accompanies the lead part.")
    if plan.bed == "none" and not dyns:  # nothing underneath: the part carries the level
        plan.level_db = DYNAMICS_DB["loud"]
        plan.dynamics = "medium"
    return plan
