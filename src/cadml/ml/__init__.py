"""Machine learning on platform data: part classification, anomaly-detection benchmarks
(NAB scoring) and remaining-useful-life prediction (C-MAPSS).

A domain package: pure numpy/scikit-learn code that receives data and options as
arguments; file reading stays at the edges (e.g. ``nab.corpus``, ``rul.cmapss``) and the
command line lives in :mod:`cadml.cli.ml`.
"""
