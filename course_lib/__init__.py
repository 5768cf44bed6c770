"""course_lib: the single source of the course's code.

Every chapter notebook imports from here; each module holds one idea and reads
top to bottom (open it from a notebook with ``course_lib.ot??``).

    data          seeded 2-D toy distributions and the bundled 8x8 digits
    divergences   entropy, cross-entropy, KL, MMD
    ot            exact 1-D optimal transport and entropic OT (Sinkhorn)
    losses        triplet loss, curriculum weights
    widgets       live ipywidgets explorers and their static plotly twins
"""

__version__ = "0.1.0"
