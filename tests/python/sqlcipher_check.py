"""Opens a Matterbox vault database with an external SQLCipher 4 client
(PyPI sqlcipher3-binary) and reports what it could read, as JSON.

usage: sqlcipher_check.py DB KEY_HEX
"""
import json
import sys

import sqlcipher3


def attempt(path, pragma_key):
    conn = sqlcipher3.connect(path)
    try:
        if pragma_key is not None:
            conn.execute(f"PRAGMA key = \"{pragma_key}\"")
        names = [r[0] for r in conn.execute("SELECT name FROM clients ORDER BY id")]
        titles = [r[0] for r in conn.execute("SELECT title FROM matters ORDER BY id")]
        version = conn.execute("PRAGMA cipher_version").fetchone()[0]
        return {"opened": True, "clients": names, "matters": titles, "cipher_version": version}
    except sqlcipher3.DatabaseError as e:
        return {"opened": False, "error": str(e)}
    finally:
        conn.close()


def main():
    path, key_hex = sys.argv[1], sys.argv[2]
    wrong = ("0" if key_hex[0] != "0" else "1") + key_hex[1:]
    print(json.dumps({
        "with_key": attempt(path, f"x'{key_hex}'"),
        "with_wrong_key": attempt(path, f"x'{wrong}'"),
        "without_key": attempt(path, None),
        "key_as_passphrase": attempt(path, key_hex),
    }))


if __name__ == "__main__":
    main()
