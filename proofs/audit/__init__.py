r"""Auditing written derivations: read the display maths a person wrote and check it line by line.

The pieces, each in its own module (data flows top to bottom):

* :mod:`.source`       -- the shared records: where a line is (:class:`Where`), a display's rows as
                          written (:class:`SourceRow`, :class:`Display`), a declaration (:class:`Declaration`),
                          the notation the parser reads with (:class:`Notation`) and a parsed row (:class:`Row`).
* :mod:`.documents`    -- find the displays and the ``derivcheck:`` declarations in Markdown, LaTeX and
                          Jupyter files (and in a TOML sidecar), with 1-based line numbers.
* ``grammar.lark``     -- the grammar of the maths we read, readable on its own.
* :mod:`.macros`       -- the macro table: Greek letters, accents, fonts, operators.
* :mod:`.parse`        -- one row of LaTeX to SymPy objects (never ``eval``, never ``sympify`` of a string).
* :mod:`.declarations` -- declarations to a :class:`Notation` and to premises (assumptions, facts, unknowns).
* :mod:`.chains`       -- rows to the pairs to check, each with its relation and what it may use.
* :mod:`.check`        -- each pair through the engine's cascade, conditions and admissible points.
* :mod:`.results`      -- pair and document results, and their JSON form.

Invariant: nothing read from a document is executed or handed to TeX; every line is parsed by our own
grammar into SymPy objects, and reports re-render those.
"""
