"""The built-in catalog: every claimed result of the handouts in ``shared/seeds``.

One module per topic (running averages, momentum, batch size, regularisation,
backprop, stationary distributions, ...). Each module sets ``TOPIC`` and
defines claims with :func:`proofs.claim`; copy an existing claim to add one.
"""
