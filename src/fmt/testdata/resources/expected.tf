resource "openstack_networking_port_v2" "sharednet1_ports" {
  for_each   = var.nodes
  name       = "port-${each.key}-mlops-${var.suffix}"
  network_id = data.openstack_networking_network_v2.sharednet1.id
  security_group_ids = [
    data.openstack_networking_secgroup_v2.allow_ssh.id,
    data.openstack_networking_secgroup_v2.allow_9001.id,
  ]
}

resource "openstack_compute_instance_v2" "nodes" {
  for_each = var.nodes

  name       = "${each.key}-mlops-${var.suffix}"
  image_name = "CC-Ubuntu24.04"
  flavor_id  = var.reservation_id
  key_pair   = var.key

  network {
    port = openstack_networking_port_v2.sharednet1_ports[each.key].id
  }

  network {
    port = openstack_networking_port_v2.private_net_ports[each.key].id
  }

  user_data = <<-EOF
    #! /bin/bash
    sudo echo "127.0.1.1 ${each.key}-mlops-${var.suffix}" >> /etc/hosts
    su cc -c /usr/local/bin/cc-load-public-keys
  EOF

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [user_data, tags]
  }
  depends_on = [openstack_networking_port_v2.sharednet1_ports]
}

resource "terraform_data" "empty" {}
resource "terraform_data" "spaced" {}
resource "terraform_data" "one_line" { input = "x" }
resource "terraform_data" "counted" {
  count = 3
  input = count.index
  dynamic "setting" {
    for_each = var.settings
    content {
      name  = setting.key
      value = setting.value
    }
  }
}
