"""ttfb_pages.py RUN...: per P2P page, media and record requests with TTFB > 500 ms (count of n), and their times."""
import sys, json, glob
for run in sys.argv[1:]:
    acc = {v['viewer']: v['access'] for v in json.load(open(run + '/realistic.json'))['phases']['p2p']['viewers']}
    for f in sorted(glob.glob(run + '/*/p2p-b0*.json')):
        d = json.load(open(f)); page = f.split('/')[-1][:-5]; ps = d['phase_start']
        rs = [x for x in d.get('resources', []) if x['path'].endswith(('.m4s', '.integrity.json'))]
        slow = [x for x in rs if x['ttfbMs'] > 500]
        print(run[-6:], page, acc[page], f"{len(slow)}/{len(rs)}", ' '.join(f"{(x['t']-ps)/1000:.0f}s:{x['ttfbMs']:.0f}{'m' if x['path'].endswith('m4s') else 'r'}" for x in slow)[:200])
