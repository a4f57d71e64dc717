"""Language: langdetect, seeded, on the cleaned text. Beam-free; run by ``transforms.events.stage``."""
