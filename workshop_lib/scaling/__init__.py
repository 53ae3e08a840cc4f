"""Chapter 09: the service scaled out: replicas behind a real load balancer (nginx)."""
