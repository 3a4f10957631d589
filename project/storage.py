from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files, with the imports between the chat's ES modules
    rewritten to the hashed names too, so a deploy never mixes old and new modules."""

    support_js_module_import_aggregation = True
