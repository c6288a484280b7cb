"""The simulated API server: HTTP routing, list/get and watch, Tables, the versioned
store, tokens and RBAC, fault injection, selectors, discovery, TLS, API conversion, and
the kubeconfig that points at it. Knows nothing of event generators or scenarios."""
