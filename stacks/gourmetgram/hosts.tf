# Layer 2, the seed's pre_k8s_configure.yml (modules/host), on every node through node1's
# floating IP as the jump host. A replaced server is a new host: its preparation is done again.

variable "ssh_user" {
  description = "The login user on the nodes (Chameleon's images use cc)."
  type        = string
  default     = "cc"
}

variable "ssh_private_key_file" {
  description = "The private key of var.key, the key pair the servers boot with."
  type        = string
  default     = "~/.ssh/id_rsa_chameleon"
}

variable "ssh_port" {
  description = "The nodes' and the jump host's SSH port."
  type        = number
  default     = 22
}

variable "ssh_bastion" {
  description = "The jump host; null: node1's floating IP. (The tests point it at a stand-in.)"
  type        = string
  default     = null
}

variable "ssh_hosts" {
  description = "Where the jump host reaches each node; a node not named here: its private address (var.nodes)."
  type        = map(string)
  default     = {}
}

variable "registry" {
  description = "The cluster's insecure registry (kubespray's registry add-on on node1)."
  type        = string
  default     = "node1:5000"
}

locals {
  # node1's sharednet1 address (10.56.*), where the platform and the apps are reached: the
  # seed finds it on the host by hand.
  external_ip = openstack_networking_port_v2.sharednet1_ports["node1"].all_fixed_ips[0]
  bastion     = coalesce(var.ssh_bastion, openstack_networking_floatingip_v2.floating_ip.address)
  # Every node's address as the jump host sees it.
  host = { for name, address in var.nodes : name => lookup(var.ssh_hosts, name, address) }
}

provider "ssh" {
  user            = var.ssh_user
  port            = var.ssh_port
  private_key     = file(pathexpand(var.ssh_private_key_file))
  host_key_policy = "accept-new"
  # The servers may still be booting when the first connection is tried.
  connect_timeout = "10m"

  bastion {
    host = local.bastion
  }
}

module "host" {
  source          = "./modules/host"
  for_each        = var.nodes
  host            = local.host[each.key]
  server_id       = openstack_compute_instance_v2.nodes[each.key].id
  user            = var.ssh_user
  registry        = var.registry
  private_address = each.value
  sharednet1_cidr = data.openstack_networking_subnet_v2.sharednet1_subnet.cidr
}
