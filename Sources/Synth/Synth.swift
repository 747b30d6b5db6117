// Synth: timed note events (ABCNotation.Score) -> audio samples, written through libsndfile;
// and the Standard MIDI File writer.
