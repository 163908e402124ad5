# Not in the seed, which runs kubectl on node1: ggplan reaches the Kubernetes API from where
# it runs, at node1's floating IP. This group opens the API port on node1's sharednet1 port
# (main.tf adds it there), to var.kube_api_allowed_cidr only; kubespray puts the floating IP
# into the API server's certificate (cluster.tf).

variable "kube_api_allowed_cidr" {
  description = "Who may reach the Kubernetes API on node1's floating IP (narrow it to your own address)."
  type        = string
  default     = "0.0.0.0/0"
}

resource "openstack_networking_secgroup_v2" "kube_api" {
  name        = "allow-6443-mlops-${var.suffix}"
  description = "Kubernetes API on node1, for ggplan"
}

resource "openstack_networking_secgroup_rule_v2" "kube_api" {
  security_group_id = openstack_networking_secgroup_v2.kube_api.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = var.kube_api_allowed_cidr
}
