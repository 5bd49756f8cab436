"""The Spark session a command runs in: where it connects, its settings, and what it needs.

`--spark-master URL` connects to that cluster; without it a local session (`local[*]`) starts,
unless the command runs under `spark-submit`, whose own `--master` then holds. Settings come
from `SEGMENTER_SPARK_CONF` (KEY=VALUE pairs separated by semicolons or new lines), then each
`--spark-conf KEY=VALUE` on top. A session that is already running (a notebook's, a test's)
is used as it is and left running.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from segmenter.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "CONF_ENV",
    "LOCAL_MASTER",
    "SparkOptions",
    "error_line",
    "failure",
    "find_java",
    "parse_conf",
    "require_spark",
    "spark_options",
    "spark_session",
    "start_session",
]

LOCAL_MASTER = "local[*]"
CONF_ENV = "SEGMENTER_SPARK_CONF"
# spark-submit starts the Python driver with these set: its --master and --conf then hold.
_SUBMIT_ENV = "PYSPARK_GATEWAY_PORT"
# A command line prints its own progress: Spark's progress bars would garble stderr.
LOG_CONFIG = Path(__file__).resolve().with_name("log4j2.properties")  # errors only, on stderr
QUIET_CONF: dict[str, str] = {
    "spark.ui.showConsoleProgress": "false",
    # The driver's log4j settings, read as its JVM starts (a --spark-conf of the same key wins).
    "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
}
INSTALL_HINT = "pip install 'card-segmenter[spark]'"
DRIVER_MEMORY = "spark.driver.memory"
JVM_ENDED = (
    "Spark's Java process ended before the command finished, most often because it ran out "
    f"of memory: give it more with --spark-conf {DRIVER_MEMORY}=8g, or run on a cluster "
    "with --spark-master"
)


@dataclass(frozen=True)
class SparkOptions:
    """Where to run and with which settings; `master` None under spark-submit (its own)."""

    master: str | None = LOCAL_MASTER
    conf: dict[str, str] = field(default_factory=dict)
    app_name: str = "segmenter"


def parse_conf(pairs: Sequence[str], *, what: str = "--spark-conf") -> dict[str, str]:
    """KEY=VALUE pairs as a map; a pair without a key or '=' is refused in one sentence."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"{what} {pair!r}: write it as KEY=VALUE, e.g. spark.executor.memory=4g"
            )
        conf[key.strip()] = value.strip()
    return conf


def spark_options(
    master: str | None,
    pairs: Sequence[str],
    environ: Mapping[str, str],
    *,
    machine_memory: int | None = None,
) -> SparkOptions:
    """The session's options from the command line and the environment (read only here).

    A local session runs every task inside its driver, whose Spark default of 1 GiB ran out
    of memory on 1M customers (measured): unless a driver memory is given, a local session
    gets half of the machine's memory (`machine_memory` bytes; this machine's if None).
    """
    from_env = [p for line in environ.get(CONF_ENV, "").splitlines() for p in line.split(";")]
    conf = parse_conf([p for p in from_env if p.strip()], what=CONF_ENV)
    conf |= parse_conf(pairs)
    if master is None and _SUBMIT_ENV not in environ:
        master = LOCAL_MASTER
    if master is not None and master.startswith("local") and DRIVER_MEMORY not in conf:
        if machine_memory is None:
            machine_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        conf[DRIVER_MEMORY] = f"{max(1024, machine_memory // 2 // 2**20)}m"
    return SparkOptions(master=master, conf=QUIET_CONF | conf)


def find_java(environ: Mapping[str, str]) -> Path | None:
    """The Java runtime Spark's driver would start: JAVA_HOME's, else the first on PATH."""
    if home := environ.get("JAVA_HOME"):
        java = Path(home) / "bin" / "java"
        return java if java.is_file() else None
    found = shutil.which("java", path=environ.get("PATH"))
    return Path(found) if found else None


def require_spark(environ: Mapping[str, str]) -> None:
    """Refuse, in one sentence, a machine without pyspark or a Java runtime for its driver."""
    if importlib.util.find_spec("pyspark") is None:
        raise InputError(f"--engine spark needs pyspark: install it with {INSTALL_HINT}")
    if _SUBMIT_ENV not in environ and find_java(environ) is None:
        raise InputError(
            "--engine spark needs a Java runtime (17 or later) for Spark's driver, and none was "
            "found on PATH or in JAVA_HOME: install one, e.g. apt-get install "
            "openjdk-17-jre-headless"
        )


def error_line(error: BaseException) -> str:
    """The first line of what Spark said: the JVM's own message for a Py4JJavaError, whose
    text starts with the Python call ("An error occurred while calling o31.parquet.")."""
    java = getattr(error, "java_exception", None)
    text = str(java.getMessage() or "") if java is not None else str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def start_session(options: SparkOptions) -> SparkSession:
    """A new (or the running) session with these options."""
    with warnings.catch_warnings():
        # pyspark 4.3 warns about pandas 3 when a helper module loads on the first call into
        # the JVM, pandas or not; nothing here uses pandas. Loaded once, it is quiet after.
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        import pyspark.testing.utils  # noqa: F401
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(options.app_name)
    if options.master is not None:
        builder = builder.master(options.master)
    for key, value in options.conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except (PySparkException, Py4JError, OSError) as error:  # e.g. the JVM did not start
        raise InputError(
            f"could not start Spark (master {options.master or 'from spark-submit'}): "
            f"{error_line(error)}"
        ) from error
    # A failed task logs its Java stack trace at ERROR: the command says it in one sentence
    # (segmenter.spark.read.reading), so only fatal errors are logged.
    spark.sparkContext.setLogLevel("FATAL")
    return spark


@contextmanager
def spark_session(options: SparkOptions) -> Iterator[SparkSession]:
    """The running session, used as it is; else one started for the command and stopped after."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    spark = start_session(options)
    try:
        yield spark
    except (Py4JError, PySparkException, ConnectionError) as error:  # no step said it better
        raise failure(error) from error
    finally:
        with contextlib.suppress(Py4JError, ConnectionError):  # already gone
            spark.stop()


def failure(error: BaseException) -> InputError:
    """Spark's error as one sentence; a Java process that ended says what to do about it."""
    from py4j.protocol import Py4JError, Py4JNetworkError

    if isinstance(error, (Py4JNetworkError, ConnectionError)):
        return InputError(JVM_ENDED)
    try:
        said = error_line(error)  # asks the Java process, which may be gone
    except (Py4JError, ConnectionError):
        return InputError(JVM_ENDED)
    return InputError(f"Spark failed: {said}")
