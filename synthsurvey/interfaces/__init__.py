"""Stage 6: interfaces. The command line and its main job, and the R package's API and data
bridge. Nothing here computes statistics."""
