"""The fixed split of Debian's `openttd-openmsx` MIDI files (31 pieces): tune only on TUNE;
HELDOUT is scored in the same run but never used to choose a parameter. Alternate pieces in
alphabetical order, so both halves mix the composers (redfarn, imuh3 and the others)."""

MIDI_DIR = "/usr/share/games/openttd/baseset/openmsx"

TUNE = [
    "5432gone_redfarn", "boogi_marabi_redfarn", "careless_perc_redfarn", "chuggachugga",
    "coconut_run2", "harp_harmony", "linns_basket", "mighty_giant_run", "moo_redfarn",
    "no_work_song_redfarn", "run_for_your_life", "slow_neasy_redfarn", "the_hobo_redfarn",
    "ttsong_iii_imuh3", "tttheme2", "wood_whistles",
]  # fmt: skip
HELDOUT = [
    "be_sharp_bw_redfarn", "busy_schedule", "chemistry_lab", "city_blues_redfarn",
    "flying_scotsman", "keep_on_rolling", "midnight_snow_run", "modern_motion",
    "mosey_along_redfarn", "relax_song", "say_what_redfarn", "the_fast_route",
    "train_filled_with_cash", "ttsong_iv_imuh3", "ultimate_run",
]  # fmt: skip
