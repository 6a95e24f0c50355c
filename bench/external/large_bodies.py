#!/usr/bin/env python3
# Concurrent Claude Code-shaped bodies of ~4 MB (claude_code_body.py --size 4000000 > /tmp/bigbody/body4m.json) POSTed
# to a route: usage: large_bodies.py PORT REQUESTS CONCURRENCY PATH. Prints the statuses counted and the time taken.
import http.client, sys, threading, time, json
url_port=int(sys.argv[1]); n=int(sys.argv[2]); conc=int(sys.argv[3]); path=sys.argv[4]
body=open('/tmp/bigbody/body4m.json','rb').read()
res={}
lock=threading.Lock()
def worker(k):
    for i in range(k):
        c=http.client.HTTPConnection('127.0.0.1',url_port,timeout=120)
        try:
            c.request('POST',path,body=body,headers={'content-type':'application/json','x-api-key':'sk-client','anthropic-version':'2023-06-01'})
            r=c.getresponse(); d=r.read(); s=r.status
        except Exception as e:
            s='exc:'+type(e).__name__
        with lock: res[s]=res.get(s,0)+1
ts=[threading.Thread(target=worker,args=(n//conc,)) for _ in range(conc)]
t0=time.time(); [t.start() for t in ts]; [t.join() for t in ts]
print(res, round(time.time()-t0,1),'s')
