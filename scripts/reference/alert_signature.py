# Reference value for test/unit/alerts.test.ts: the X-Mlops-Signature of a fixed body and secret,
# computed with Python's hmac (the way a webhook receiver verifies it).
import hashlib
import hmac

body = b'{"event":"run.failed","model":"churn","version":null}'
secret = b"s3cret-for-tests"
print("sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest())
