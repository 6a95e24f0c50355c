"""Added latency per route from overhead.sh or in_process_ab.sh output: route minus direct in the same round (p50 for
non-streamed requests, time to first byte for streamed ones; p99 likewise), and wrk c=16 as a share of direct.

    python3 bench/external/summarise_overhead.py OUTPUT
"""
import re,sys
run=None; rnd=None; d={}
rows=[]
for line in open(sys.argv[1]):
    if line.startswith('==='): run=line.split(' run')[0].strip('= ') + ' #' + line.split(' run ')[1].split()[0]; continue
    m=re.match(r'## round (\d+)',line)
    if m: rnd=int(m.group(1)); d={}; continue
    m=re.match(r'(\w+) (oneshot|--stream)\s+p50\s+(\d+)\s+p90\s+(\d+)\s+p99\s+(\d+)\s+ttfb p50\s+(\d+)\s+ttfb p99\s+(\d+)',line)
    if m:
        route,mode=m.group(1),m.group(2); p50,p99,t50,t99=map(int,(m.group(3),m.group(5),m.group(6),m.group(7)))
        d[(route,mode)]=(p50,p99,t50,t99)
        if route!='direct':
            dp=d[('direct',mode)]
            if mode=='oneshot': rows.append((run,rnd,route,mode,p50-dp[0],p99-dp[1]))
            else: rows.append((run,rnd,route,mode,t50-dp[2],t99-dp[3]))
    m=re.match(r'wrk c=16 (\w+): ([\d.]+)',line)
    if m:
        d['wrk_'+m.group(1)]=float(m.group(2))
        if m.group(1) in ('none', 'howto') and 'wrk_direct' in d:
            rows.append((run, rnd, m.group(1), 'c=16', None, None, round(d['wrk_' + m.group(1)]), round(100 * d['wrk_' + m.group(1)] / d['wrk_direct'])))
for r in rows:
    if r[3] == 'c=16':
        print("%-20s r%d %-10s wrk c=16 %6d req/s = %3d%% of direct" % (r[0], r[1], r[2], r[6], r[7]))
    else:
        print("%-20s r%d %-10s %-9s added p50 (streamed: first byte) %6d us, added p99 %6d us" % r[:6])
