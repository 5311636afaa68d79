"""A council's own SSDA903 returns, read as councils hold them, merged the way the DfE's tools merge them, and
checked against the DfE's validation rules.

- returns.py: finding the files of one or many returns (the DfE's names, `2019-episodes.csv` or
  `2019/episodes.csv`, the DfE's XML, workbooks, stacked regional extracts) and reading each as text with its file
  and row, its columns and codes normalised (SEX M/F, dates DD-MM-YYYY or Excel serials, XML's CHILDID and PL).
- merge.py: one history from many yearly returns, in collection-year order (never file order): an episode repeated
  in consecutive returns counted once, an open episode closed by the next return, conflicts reported per child and
  episode.
- rules.py: the DfE's rules that matter for forecasting and matching, each finding reported with the DfE's code
  and wording.
- history.py: the whole reading, for `rcc import-903` and for a region folder holding returns.
"""
