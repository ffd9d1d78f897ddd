"""The built-in catalog: every claimed result of the handouts in ``shared/seeds``.

One module per concept (running averages, bias correction, momentum, RMSProp and Adam, batch size,
backprop, stationary distributions, ...), whatever handout a result comes from; the README's table lists
the modules with the handout parts each encodes. Each module's docstring says what it covers, each sets
``TOPIC`` and defines claims with :func:`proofs.claim`; to add a claim, copy a neighbour in the same file.
"""

#: The six headline results of the foundation issue (the claims that make them up);
#: ``bench/bench_cli.py`` times exactly these.
HEADLINE = [
    # 1. variance of the running average (Problem 1 (a), (b) of 000_...)
    "running_average.variance_limit", "running_average.variance_limit_N1", "running_average.half_of_window",
    "running_average.window_average_variance",
    # 2. momentum as a running average (Problem 2 (a), (c))
    "momentum.constant_input_limit", "momentum.as_running_average",
    # 3. batch covariance (Problem 5)
    "batch_size.covariance", "batch_size.temperature",
    # 4. SGD + L2 with momentum (Assignment 5, (29), (32), (33), (34))
    "sgd_l2.recurrence_momentum_on_gradient", "sgd_l2.recurrence_momentum_on_both",
    "sgd_l2.momentum_equivalence", "sgd_l2.momentum_equivalence.corrected",
    # 5. weight-normalisation gradients (Assignment 2, (13)-(15))
    "weightnorm.grad_b", "weightnorm.grad_x", "weightnorm.grad_w", "weightnorm.grad_w.corrected",
    # 6. the quadratic basin theorem
    "stationary.quadratic_basin",
]
