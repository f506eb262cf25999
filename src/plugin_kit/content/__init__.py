"""What a plugin folder holds, whatever the container: the files that would be packed, their
records and content digests, and the whole-project check. Below packer/ and signing/."""
