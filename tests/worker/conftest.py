"""Worker tests: the batch run, the demo generator and the batch metrics it pushes to a
real Pushgateway."""

from tests.prometheus import pushgateway  # noqa: F401  (a real Pushgateway per test)
