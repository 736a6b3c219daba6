"""The course: the chapters, running them, and the course site.

- :mod:`crmlib.course._chapters`: find the chapters, run one (:func:`run_chapter`, papermill), re-execute the
  stored ones in place (:func:`execute_in_place`, ``make notebooks``), render one as a page (:func:`render_html`);
- :mod:`crmlib.course._execute`: run many chapters at once, one kernel per core (:func:`execute_chapters`);
- :mod:`crmlib.course._site`: the offline course site (:func:`build_site`, :func:`run_course`, ``crmlib course``);
- :mod:`crmlib.course._glossary`: the glossary's terms and the chapters' links to them;
- :mod:`crmlib.course._sanitize`: what notebook outputs may put on a page (:func:`clean_html`).

Nothing heavy is imported here: papermill, nbclient, nbconvert and Sphinx are imported by the functions that
use them, so ``import crmlib`` stays light.
"""

from __future__ import annotations

from crmlib.course._chapters import *  # noqa: F403
from crmlib.course._execute import *  # noqa: F403
from crmlib.course._glossary import *  # noqa: F403
from crmlib.course._sanitize import *  # noqa: F403
from crmlib.course._site import *  # noqa: F403
