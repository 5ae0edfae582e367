"""Models: pluggable skeleton encoders, the JID, the cross-modal interaction, and the
CrossGLG network (`network.CrossGLGNet`, a plain `nn.Module`; the LightningModule that
trains it is `crossglg.task.CrossGLGTask`)."""
