"""The course: the chapters, running them, and the course site.

- :mod:`crmlib.course._chapters`: find the chapters and their parameters, and make an executed chapter the same
  on every run (:func:`strip_volatile`);
- :mod:`crmlib.course._execute`: run chapters, many at once, one kernel per core (:func:`execute_chapters`),
  or the stored ones in place (``make notebooks``, :func:`execute_in_place`);
- :mod:`crmlib.course._page`: one chapter as one offline page, ``crmlib run`` (:func:`run_chapter`,
  :func:`render_html`);
- :mod:`crmlib.course._math`: formulas as MathML when a page is built (:func:`tex_to_mathml`);
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
from crmlib.course._math import *  # noqa: F403
from crmlib.course._page import *  # noqa: F403
from crmlib.course._sanitize import *  # noqa: F403
from crmlib.course._site import *  # noqa: F403
