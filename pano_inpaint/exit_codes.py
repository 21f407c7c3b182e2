"""The command line's exit codes, in one place (the README's table lists the same).

Kept free of imports so that ``pano-inpaint --help`` does not load numpy to learn them.
"""

__all__ = [
    "EXIT_BATCH_FAILED",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_USAGE",
]

EXIT_OK = 0
# Some images of a batch failed (the others were written), or a single image or a run failed
# for a reason none of the codes below names (a generator error, an engine that cannot start).
EXIT_BATCH_FAILED = 1
EXIT_USAGE = 2  # bad command line or configuration: nothing was read or written
EXIT_INPUT = 3  # unreadable or unsuitable image or mask (not 2:1, too large, partial, ...)
EXIT_OUTPUT = 4  # output exists without --overwrite, is an input, or cannot be written
# Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); a batch's manifest is
# consistent: the same command resumes it.
EXIT_INTERRUPTED = 130
