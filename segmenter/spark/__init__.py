"""The same segmentation on Apache Spark: `segmenter segment PATH --engine spark`.

For books that live in a Spark lakehouse or are larger than one machine should read. PATH is
a Parquet file or folder, a CSV, or a table in the session's catalog (read). The pipeline is
the single-machine one in Spark's terms: column mapping and validation as Spark expressions
(validate, cells, checks), median imputation, log1p and scaling as a `pyspark.ml.Pipeline`
(features), Spark's K-Means and Gaussian mixture (algorithms), statistics from Spark
aggregations (profiles). k, the quality scores, stability and the rules are measured on a
seeded sample with the single-machine code (fit). The run folder holds the single-machine
outputs (run, compare): profiles.json, the assignments with their confidence (output,
confidence), and the Spark pipeline with its manifest (model). The command line calls one
function per command (commands).

Every module imports without pyspark: pyspark is imported where Spark is used, so that the
command line can say in one sentence what to install when it is missing (session).
"""
