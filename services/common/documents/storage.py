"""Where issued documents' bytes live: one small interface, `put(key, data)`, `get(key)`,
`delete(key)`. `FileStorage` keeps them as files under DATA_DIR/documents/<service>/ (the
default); an S3-compatible store is a later adapter with the same three methods. Keys are
relative paths the owning service makes (`form/12/34-<sha256 prefix>.pdf`); the database row
keeps the key and the SHA-256, and a read checks the bytes against it."""
import os


class StorageError(RuntimeError):
    pass


class FileStorage:
    def __init__(self, root):
        self.root = os.path.abspath(root)

    def _path(self, key):
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise StorageError(f"a key outside the store: {key!r}")
        return path

    def put(self, key, data):
        """Write atomically (a temporary file renamed into place, fsynced): a crash leaves
        the old file or the new one, never half of one."""
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.part"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def get(self, key):
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise StorageError(f"document file {key!r} is missing from {self.root}") from None

    def delete(self, key):
        try:
            os.remove(self._path(key))
        except FileNotFoundError:
            pass


def storage_for(config, service_name):
    """The store a service's config names: DOCUMENTS_DIR, else DATA_DIR/documents/<service>."""
    root = config.get("DOCUMENTS_DIR") or os.path.join(
        config.get("DATA_DIR") or os.environ.get("DATA_DIR") or "./data", "documents",
        service_name)
    return FileStorage(root)
