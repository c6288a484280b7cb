"""TLS for the simulator: a fixed test CA and a server certificate for 127.0.0.1/::1/localhost.

kubectl (client-go's clientcmd) sends a kubeconfig's bearer token only over TLS, so a
simulator that checks tokens must speak HTTPS for kubectl. The key below is public test
material: it protects nothing and is trusted only through the
``certificate-authority-data`` of kubeconfigs written by :func:`write_kubeconfig`.
Valid 2020-2119. Made with ``openssl ca`` (EC P-256; CA:TRUE root, serverAuth leaf).
"""

from __future__ import annotations

import os
import ssl
import tempfile

CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBizCCATCgAwIBAgICEAAwCgYIKoZIzj0EAwIwKzEpMCcGA1UEAwwga3R1aS1z
aW0gdGVzdCBDQSAobG9vcGJhY2sgb25seSkwIBcNMjAwMTAxMDAwMDAwWhgPMjEx
OTEyMzEwMDAwMDBaMCsxKTAnBgNVBAMMIGt0dWktc2ltIHRlc3QgQ0EgKGxvb3Bi
YWNrIG9ubHkpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOmf2MYmcfUN6SlA5
VPsiDzjHw1TSwe3ta395GkFCDBodRa6OcdFZwF30FUMpRE7xmdu8mGfLAxPcKQZw
LWy5e6NCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0O
BBYEFMRo1YoDIq4m0ZkDJAy1YlmzaKWdMAoGCCqGSM49BAMCA0kAMEYCIQDkBFOj
2GrO7vS+Xx5f0JECeGJcBpgs2CYRojnFJ3SdKAIhANW5/862zulJv//I+mbXLrnm
qf/CXq0cWByDw48Uu9Qo
-----END CERTIFICATE-----
"""

SERVER_CERT_PEM = """\
-----BEGIN CERTIFICATE-----
MIIB1TCCAXugAwIBAgICEAEwCgYIKoZIzj0EAwIwKzEpMCcGA1UEAwwga3R1aS1z
aW0gdGVzdCBDQSAobG9vcGJhY2sgb25seSkwIBcNMjAwMTAxMDAwMDAwWhgPMjEx
OTEyMzEwMDAwMDBaMBMxETAPBgNVBAMMCGt0dWktc2ltMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEb91O+kkIYgGjxhy+r/MyBY857evaFErvgxC1pRnlbbCOWE9/
eQJ9WX1I5LUW05xorOCrYHeGScPxzpjuJA9VT6OBpDCBoTAMBgNVHRMBAf8EAjAA
MA4GA1UdDwEB/wQEAwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATAsBgNVHREEJTAj
hwR/AAABhxAAAAAAAAAAAAAAAAAAAAABgglsb2NhbGhvc3QwHwYDVR0jBBgwFoAU
xGjVigMiribRmQMkDLViWbNopZ0wHQYDVR0OBBYEFCtWKPAzV7ScMVxOcQRqZY6L
2uz1MAoGCCqGSM49BAMCA0gAMEUCIQC+CR29xv/JCI4yl/N00oaxYPB71cffTSIv
cWHAfr+9WgIgHSbFX/zsg2jWfQRb7aT4EBLZiRTItoCmd3TFH6dPb2k=
-----END CERTIFICATE-----
"""

SERVER_KEY_PEM = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtrZgCppQGa6wUMGo
oT+2t0akJFQywrfFzMHPPHwLntuhRANCAARv3U76SQhiAaPGHL6v8zIFjznt69oU
Su+DELWlGeVtsI5YT395An1ZfUjktRbTnGis4Ktgd4ZJw/HOmO4kD1VP
-----END PRIVATE KEY-----
"""


# Client-certificate authentication (``SimCluster(client_certs=...)``): a second test CA
# that signs one client certificate, CN ktui-cert-user, O ktui:viewers (kube-apiserver's
# user name and group). The same kind of public test material as the above, EC P-256,
# valid 2020-2119: it lets tests check that a client presents a certificate, and where
# its key ends up (kubeconfigs embed it as client-certificate-data / client-key-data).
CLIENT_CERT_USER = "ktui-cert-user"

CLIENT_CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBmDCCAT6gAwIBAgICIAAwCgYIKoZIzj0EAwIwMjEwMC4GA1UEAwwna3R1aS1z
aW0gdGVzdCBjbGllbnQgQ0EgKGxvb3BiYWNrIG9ubHkpMCAXDTIwMDEwMTAwMDAw
MFoYDzIxMTkxMjMxMDAwMDAwWjAyMTAwLgYDVQQDDCdrdHVpLXNpbSB0ZXN0IGNs
aWVudCBDQSAobG9vcGJhY2sgb25seSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AASBzhBxNZs0/F0SBSAaTa2t3vheWtH77OeP577jF7MiB43TCSnePMASThX03bxf
VlLDtjVp5K3Yhmrx3bd+MreIo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB
/wQEAwIBBjAdBgNVHQ4EFgQUhL7JIInOVe4QqrWpOLH/eDEyaEQwCgYIKoZIzj0E
AwIDSAAwRQIhAKgzeBIJKSb5NYxbhduYInwG3DFHN1f00181lKxb6oliAiAqzPbU
LOkzueqHalA3KviY2e7BCwqH8C05w2WePey96A==
-----END CERTIFICATE-----
"""

CLIENT_CERT_PEM = """\
-----BEGIN CERTIFICATE-----
MIIByTCCAW+gAwIBAgICIAEwCgYIKoZIzj0EAwIwMjEwMC4GA1UEAwwna3R1aS1z
aW0gdGVzdCBjbGllbnQgQ0EgKGxvb3BiYWNrIG9ubHkpMCAXDTIwMDEwMTAwMDAw
MFoYDzIxMTkxMjMxMDAwMDAwWjAwMRUwEwYDVQQKDAxrdHVpOnZpZXdlcnMxFzAV
BgNVBAMMDmt0dWktY2VydC11c2VyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
2bpQbK86yL8Hid+ph6VRW0DhQW214J/IHW2glwfRUjOscOb3gmeLO0zwfH/o3alX
BLgGjxM/lzVKewJfDRTQzaN1MHMwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMC
B4AwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHwYDVR0jBBgwFoAUhL7JIInOVe4QqrWp
OLH/eDEyaEQwHQYDVR0OBBYEFCyixtM0fTUHlb+/Ks20Tj79YZUVMAoGCCqGSM49
BAMCA0gAMEUCIElUEG2wU5zT3hGlvQfYtx+6RMX9iARKlXa1+7k/loe4AiEA0aO+
m1a1Awm2UhT04xuKdCcYoh87RlVr8LPxF8oJ00M=
-----END CERTIFICATE-----
"""

CLIENT_KEY_PEM = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjWtFGlHRdD88W/W4
y5M9/hxYAfAgtNyBGWWPSN7qK0ahRANCAATZulBsrzrIvweJ36mHpVFbQOFBbbXg
n8gdbaCXB9FSM6xw5veCZ4s7TPB8f+jdqVcEuAaPEz+XNUp7Al8NFNDN
-----END PRIVATE KEY-----
"""


def server_context(client_ca: bool = False) -> ssl.SSLContext:
    """An SSLContext serving the test certificate (TLS 1.2+); with ``client_ca`` it asks
    for a client certificate signed by the client CA (one is optional, as with
    kube-apiserver, whose other authenticators take requests without one)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    if client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(cadata=CLIENT_CA_PEM)
    fd, path = tempfile.mkstemp(prefix="ktui-sim-", suffix=".pem")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(SERVER_CERT_PEM + SERVER_KEY_PEM)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    return ctx


def client_context() -> ssl.SSLContext:
    """An SSLContext that trusts the test CA (for tests using urllib/http.client)."""
    return ssl.create_default_context(cadata=CA_PEM)
