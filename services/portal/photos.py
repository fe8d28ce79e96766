"""Where the requests' photos live: the documents' storage interface
(services/common/documents/storage.py: put, get, delete), under DATA_DIR/documents/portal/
unless DOCUMENTS_DIR says otherwise — the same store forms and contracts keep their papers in."""
from nameko.extensions import DependencyProvider

from services.common.documents.storage import storage_for


class PhotoStore(DependencyProvider):
    def setup(self):
        self.storage = storage_for(self.container.config, self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self.storage
