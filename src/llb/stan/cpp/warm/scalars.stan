// Priors on scalar parameters as LLM-written programs state them: literal arguments, truncation to
// a parameter's bounds (llb's own rewrite), and data modelled with scalar parameters.
data {
  int<lower=1> N;
  int<lower=0> n_total;
  int<lower=0> k_total;
  vector[N] y;
  array[N] real r;
  array[N] int<lower=0> k;
  array[N] int<lower=0> n;
  array[N] int<lower=0, upper=1> b;
  real x0;
}
parameters {
  real mu;
  real<lower=0> sigma;
  real<lower=0, upper=1> p;
  real<lower=0> lambda;
  real<lower=1> nu;
  real<lower=0, upper=1> q;
  real<upper=0> u;
  real<lower=-1, upper=1> c;
}
model {
  mu ~ normal(0, 1);
  mu ~ normal(0, 2.5);
  mu ~ normal(0.5, 0.25);
  mu ~ normal(50, 10);
  mu ~ normal(x0, 10);
  mu ~ std_normal();
  mu ~ student_t(3, 0, 2.5);
  mu ~ cauchy(0, 5);
  mu ~ logistic(0, 1);
  mu ~ double_exponential(0, 1);
  sigma ~ normal(0, 1) T[0, ];
  sigma ~ normal(0, 2.5) T[0, ];
  sigma ~ normal(0.5, 1.5) T[0, ];
  sigma ~ student_t(3, 0, 2.5) T[0, ];
  sigma ~ cauchy(0, 5) T[0, ];
  sigma ~ exponential(1);
  sigma ~ exponential(0.5);
  sigma ~ gamma(2, 2);
  sigma ~ gamma(2, 0.1);
  sigma ~ inv_gamma(2, 2);
  sigma ~ inv_gamma(0.5, 0.5);
  sigma ~ lognormal(0, 1);
  sigma ~ lognormal(0, 0.5);
  sigma ~ lognormal(log(2), 0.75);
  sigma ~ weibull(2, 1);
  nu ~ gamma(2, 0.1) T[1, ];
  lambda ~ gamma(2, 1);
  p ~ beta(1, 1);
  p ~ beta(2, 20);
  p ~ beta(0.5, 0.5);
  p ~ uniform(0, 1);
  q ~ beta_proportion(0.5, 10);
  c ~ uniform(-1, 1);
  u ~ normal(0, 1) T[, 0];
  c ~ normal(0, 1) T[-1, 1];
  y ~ normal(mu, sigma);
  y ~ student_t(nu, mu, sigma);
  y ~ lognormal(mu, sigma);
  y ~ cauchy(mu, sigma);
  r ~ normal(mu, sigma);
  r ~ exponential(lambda);
  k ~ binomial(n, p);
  k ~ binomial_logit(n, mu);
  k ~ poisson(lambda);
  k ~ poisson_log(mu);
  k ~ neg_binomial_2(lambda, sigma);
  b ~ bernoulli(p);
  b ~ bernoulli_logit(mu);
  k_total ~ binomial(n_total, p);
  k_total ~ binomial_logit(n_total, mu);
  target += normal_lpdf(mu | 0, 1);
  target += log_mix(p, normal_lpdf(mu | 0, 1), normal_lpdf(mu | 1, sigma));
  target += log_sum_exp(normal_lpdf(mu | 0, 1), normal_lpdf(mu | 1, sigma));
  for (i in 1:N) {
    y[i] ~ normal(mu, sigma);
    b[i] ~ bernoulli(p);
    b[i] ~ bernoulli_logit(mu + c * y[i]);
    k[i] ~ binomial(n[i], p);
    k[i] ~ poisson(lambda);
    target += log_mix(q, normal_lpdf(y[i] | mu, sigma), normal_lpdf(y[i] | 0, 1));
  }
}
generated quantities {
  real y_new = normal_rng(mu, sigma);
  int b_new = bernoulli_rng(p);
  int k_new = binomial_rng(n_total, p);
  int c_new = poisson_rng(lambda);
  real p_logit = inv_logit(mu);
  real mean_y = mean(y);
  real lp = normal_lpdf(y | mu, sigma);
}
