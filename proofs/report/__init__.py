"""LaTeX/PDF verification reports: the document (``document``), its figures (``figures``) and the TeX
compile step (``compile``). Renderers are pure functions of result dicts, so saved JSON re-renders."""
