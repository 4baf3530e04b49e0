"""Clients of the operations services around StockFlow: Kubesnap, Event Dispatcher, Kubernetes."""
