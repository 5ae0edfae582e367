"""Models: pluggable skeleton encoders, the JID, the cross-modal interaction, and the
CrossGLG LightningModule."""
