"""A portal that drops the TCP connection in the middle of every login (tests/lab/test_faults.py): it reads
the initiator's Login Request, sends the first half of a Login Response header and closes.
Usage: python3 drop-login.py ADDRESS (port 3260)."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3260))
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        c.settimeout(10)
        c.recv(48, socket.MSG_WAITALL)  # the Basic Header Segment of the Login Request
        c.sendall(bytes([0x23, 0x87]) + bytes(22))  # Login Response, transit to full feature... then nothing
    except OSError:
        pass
    c.close()
