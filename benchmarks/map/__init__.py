"""Helpers of the `map` benchmark: rendering MIDI with FluidSynth, ground truth from the MIDI
(pretty_midi), the librosa reference line and the mir_eval scoring."""
