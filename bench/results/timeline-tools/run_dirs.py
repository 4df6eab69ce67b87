"""run_dirs.py: what the per-run tools share: a run's realistic.json and its timeline directory
(unpacked from the run's tarball into a temporary directory when only the tarball is kept)."""
import glob, json, tarfile, tempfile


def realistic(rundir):
    """The run's realistic.json (RUNDIR is bench/results/realistic-TAG)."""
    return json.load(open(glob.glob(rundir + '/run-1/realistic.json')[0]))


def timeline_dir(rundir):
    """The run's `*-timeline` directory, unpacked if need be."""
    found = glob.glob(rundir + '/run-1/*-timeline')
    if found:
        return found[0]
    tmp = tempfile.mkdtemp()
    tarfile.open(glob.glob(rundir + '/run-1/*-timeline.tar.gz')[0]).extractall(tmp)
    return glob.glob(tmp + '/*-timeline')[0]
