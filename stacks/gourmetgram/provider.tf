provider "openstack" {
  cloud = "openstack"
}
