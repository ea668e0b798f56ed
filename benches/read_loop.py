"""read_loop.py PORT TOKEN N: N profile reads on one kept-alive connection; fails on any non-200."""
import http.client
import sys

port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    connection.request("GET", "/api/user/profile", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"profile read answered {response.status}")
