// One program exercising many densities and every common constraint transform.
// `which` selects the density term, so one compiled model serves every log-density test.
data {
  int<lower=0, upper=10> which;
  int<lower=1> N;
  vector[N] y;
  array[N] int<lower=0> k;
  array[N] int<lower=0> trials;
  array[N] int<lower=0, upper=1> b;
  vector[N] x;
  array[N] vector[2] yy;
  cov_matrix[2] S;
}
parameters {
  real mu;
  real<lower=0> sigma;
  real<lower=1> nu;
  real<lower=0, upper=1> p;
  real<lower=0> a;
  real<lower=-1, upper=2> c;
  real<upper=3> u;
  simplex[3] s;
  vector[2] m;
}
model {
  if (which == 1) y ~ normal(mu, sigma);
  else if (which == 2) y ~ student_t(nu, mu, sigma);
  else if (which == 3) y ~ lognormal(mu, sigma);
  else if (which == 4) y ~ gamma(a, sigma);
  else if (which == 5) p ~ beta(a, sigma);
  else if (which == 6) k ~ binomial(trials, p);
  else if (which == 7) k ~ poisson(a);
  else if (which == 8) b ~ bernoulli_logit(mu + c * x);
  else if (which == 9) yy ~ multi_normal(m, S);
  else if (which == 10) s ~ dirichlet([2, 3, 4]');
}
