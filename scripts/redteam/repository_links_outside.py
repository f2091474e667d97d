"""Attack: a repository-shaped submission whose tests/ (or course/) is a link to a folder of the machine.

integrity.course_files_changed() compares the submission's tests/ and course/ with the course's: it walks them
and reads every file, in the grader's own process (root, no time limit), following the link at the top. A link to
/usr/share makes the grader read and hash 700 MB; a link to / would have it read the whole machine, /proc included
(/proc/kcore, /proc/kmsg: memory, or a read that never returns). Not tried here: / ; tried: /usr/share.

Expected (fixed): a flag that tests/ is a link, and no time spent. Before: the time it takes to read /usr/share."""
import os
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import make_submission

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        repository = work / "tests_link_to_usr_share"
        make_submission(repository / "lessons")
        os.symlink("/usr/share", repository / "tests")
        rows, _, result, seconds = grade([repository], work / "out", "--lessons", "01")
        show(rows, result, seconds)
