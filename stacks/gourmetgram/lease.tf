# The seed makes its lease by hand (`openstack reservation lease create`) and passes the
# reserved flavor's id as var.reservation. Set lease_end instead, and ggplan makes the lease:
# instances of m1.large for every node, from now until lease_end.

variable "lease_end" {
  description = "End of the lease ggplan makes, \"YYYY-MM-DD HH:MM\" (UTC); empty: use var.reservation"
  type        = string
  default     = ""
}

data "openstack_compute_flavor_v2" "reserved" {
  count = var.lease_end == "" ? 0 : 1
  name  = "m1.large"
}

resource "openstack_blazar_lease" "mlops" {
  count    = var.lease_end == "" ? 0 : 1
  name     = "lease_mlops_${var.suffix}"
  end_date = var.lease_end

  reservation {
    resource_type = "flavor:instance"
    flavor_id     = data.openstack_compute_flavor_v2.reserved[0].id
    amount        = length(var.nodes)
  }
}

locals {
  flavor_id = var.lease_end == "" ? var.reservation : openstack_blazar_lease.mlops[0].reservation[0].reserved_flavor_id
}
