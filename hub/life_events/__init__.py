"""Life events (一件事一次办): one form and one filing for every service a life event needs; the
case's workflow files each part with its departments as its turn comes."""
