// Vector parameters as LLM-written programs use them: hierarchical and non-centred groups, random
// walks written with slices, regressions, per-observation indexing, and logit links.
data {
  int<lower=1> N;
  int<lower=1> J;
  int<lower=1> K;
  array[N] int<lower=1, upper=J> g;
  vector[N] y;
  vector[N] x;
  matrix[N, K] X;
  array[N] int<lower=0, upper=1> b;
  array[N] int<lower=0> k;
  array[N] int<lower=0> n;
  vector<lower=0>[N] se;
}
parameters {
  real mu;
  real<lower=0> tau;
  real<lower=0> sigma;
  real alpha;
  vector[K] beta;
  vector[J] z;
  vector<offset=mu, multiplier=tau>[J] theta;
  vector[N] f;
  vector<lower=0>[J] s;
  vector<lower=0, upper=1>[J] p;
  simplex[K] w;
  ordered[2] cut;
  array[J] real a;
}
transformed parameters {
  vector[J] eta = mu + tau * z;
  vector[N] lin = alpha + X * beta;
}
model {
  z ~ std_normal();
  z ~ normal(0, 1);
  beta ~ normal(0, 2.5);
  beta ~ normal(0, 1);
  beta ~ student_t(3, 0, 1);
  theta ~ normal(mu, tau);
  eta ~ normal(0, 5);
  s ~ exponential(1);
  s ~ normal(0, 1);
  s ~ lognormal(0, 1);
  p ~ beta(2, 2);
  w ~ dirichlet(rep_vector(1, K));
  cut ~ normal(0, 5);
  a ~ normal(mu, tau);
  f[1] ~ normal(0, 1);
  f[2:N] ~ normal(f[1:(N - 1)], sigma);
  y ~ normal(lin, sigma);
  y ~ normal(eta[g], sigma);
  y ~ normal(theta[g] + beta[1] * x, sigma);
  y ~ normal(theta[g], s[g]);
  y ~ normal(f, se);
  y ~ normal(alpha + beta[1] * x, sigma);
  y ~ normal_id_glm(X, alpha, beta, sigma);
  b ~ bernoulli_logit(lin);
  b ~ bernoulli_logit(f);
  b ~ bernoulli_logit(alpha + beta[1] * x);
  b ~ bernoulli_logit_glm(X, alpha, beta);
  b ~ bernoulli(inv_logit(lin));
  b ~ bernoulli(p[g]);
  k ~ binomial(n, inv_logit(f));
  k ~ binomial_logit(n, lin);
  k ~ binomial_logit(n, theta[g]);
  k ~ poisson_log(lin);
  k ~ poisson(exp(f));
  for (i in 1:N) {
    y[i] ~ normal(theta[g[i]], sigma);
    y[i] ~ normal(alpha + beta[1] * x[i], sigma);
    b[i] ~ bernoulli_logit(theta[g[i]]);
    b[i] ~ bernoulli(inv_logit(f[i]));
  }
  for (j in 2:J) {
    z[j] ~ normal(z[j - 1], sigma);
  }
  target += normal_lpdf(y | lin, sigma);
  target += dot_self(z);
  target += sum(log(s)) + log_sum_exp(z) + dot_product(z, z) + sum(z);
}
generated quantities {
  vector[N] y_rep;
  array[N] int b_rep;
  vector[J] theta_copy = theta;
  real avg = mean(inv_logit(lin));
  for (i in 1:N) {
    y_rep[i] = normal_rng(lin[i], sigma);
    b_rep[i] = bernoulli_logit_rng(lin[i]);
  }
}
