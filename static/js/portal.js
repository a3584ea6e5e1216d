// Portal behaviour without inline scripts (the CSP allows none without a nonce).
