variable "v" {
  type = list(any)
}
variable "w" {
  type = "list(string)"
}
variable "x" {
  type = map(any) # comment
}
variable "y" { type = string }
locals { a = x }
output "o" {
  value     = var.a # c
  sensitive = true
}
a = x
b = a /* c */
d = "${x}" == "y"
