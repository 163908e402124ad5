variable "instance_hostname" {
description = "Hostname to use for the image"
  type = "string"
    default = "example-vm"
}

variable "nodes" {
  type=map
  default={
    "node1"="192.168.1.11"
    "node2" = "192.168.1.12"
    node3   =   "192.168.1.13"
  }
}

variable legacy_list {
  type = "list"
  default = [ "a","b" ]
}

variable "legacy_map" { type = "map" }

variable "bare_set" {
  type = set
}

variable "object" {
  type = object({
    name = string,
    size = optional(number, 1)
    tags=map(string)
  })
  nullable=false
  sensitive = true
  validation {
    condition = length(var.object.name)>0
    error_message = "Name must not be empty."
  }
}

locals {
  type = "string"
}
