"""Stage 1: data in. Bundled and real data sets, the seeded simulated study, the edsl importer."""
