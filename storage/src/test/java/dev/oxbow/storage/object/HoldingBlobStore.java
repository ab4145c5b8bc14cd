package dev.oxbow.storage.object;

import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

import java.util.concurrent.atomic.AtomicReference;

/** The blob store behind {@link TestS3Server}, passing every PUT through the test's current {@link PutHold}, if any. */
final class HoldingBlobStore extends ForwardingBlobStore {
    private final AtomicReference<PutHold> hold;

    HoldingBlobStore(BlobStore delegate, AtomicReference<PutHold> hold) {
        super(delegate);
        this.hold = hold;
    }

    private void check(Blob blob) {
        PutHold h = hold.get();
        if (h != null) {
            h.check(blob.getMetadata().getName());
        }
    }

    @Override
    public String putBlob(String container, Blob blob) {
        check(blob);
        return super.putBlob(container, blob);
    }

    @Override
    public String putBlob(String container, Blob blob, PutOptions options) {
        check(blob);
        return super.putBlob(container, blob, options);
    }
}
