"""Re-execute notebooks in place so their stored outputs are fresh (`make notebooks`).

Each notebook runs in its own folder (as in the book, nbval and Colab), widget state is stored
so the HTML book can render the widgets, and volatile metadata is dropped to keep diffs small.
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

for name in sys.argv[1:]:
    path = pathlib.Path(name)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print(f"{path}: executed in {time.perf_counter() - start:.1f} s")
